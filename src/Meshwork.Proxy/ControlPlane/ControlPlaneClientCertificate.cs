using System.Security.Cryptography.X509Certificates;
using Meshwork.Proxy.Runtime;

namespace Meshwork.Proxy.ControlPlane;

/// <summary>
/// The credential the proxy presents to the control plane after its first join: the workload
/// certificate of the snapshot it serves (paired with its own key), as TLS client certificate. The
/// control plane takes the proxy's identity from its SPIFFE id, so the bootstrap token is only
/// needed for the first join (or when the certificate expired while the control plane was away).
/// </summary>
public sealed class ControlPlaneClientCertificate(MeshRuntime runtime, TimeProvider time)
{
    /// <summary>The certificate to present now, or null (none yet, or not valid at this moment).</summary>
    public X509Certificate2? Current()
    {
        var certificate = runtime.Current?.Certificate;
        if (certificate is null || !certificate.HasPrivateKey) return null;
        var now = time.GetUtcNow().UtcDateTime;
        return certificate.NotBefore <= now && now < certificate.NotAfter ? certificate : null;
    }

    /// <summary>Identifies the certificate a channel was opened with: a channel is re-opened when it changes (a TLS handshake picks it).</summary>
    public string? Thumbprint() => Current()?.Thumbprint;
}
