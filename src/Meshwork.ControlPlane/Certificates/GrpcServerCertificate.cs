using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.ControlPlane.Configuration;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// The TLS certificate of the gRPC port, issued by the mesh CA (as istiod's is) for a key that never
/// leaves this process. Kestrel asks for it at every handshake (ServerCertificateSelector); the first
/// handshake after two thirds of its life gets a new one, so it is renewed without a restart while
/// open streams keep the connection they have.
/// </summary>
public sealed class GrpcServerCertificate(
    WorkloadCertificates certificates,
    IOptions<ControlPlaneOptions> options,
    TimeProvider time,
    ILogger<GrpcServerCertificate> logger)
{
    private const string CommonName = "meshwork-control-plane";
    private readonly Lock gate = new();
    private Serving? current;
    private string? spiffeId;

    /// <summary>The control plane's identity, in the form Istio gives istiod; its clients pin it (Meshwork.Protocol's ControlPlaneIdentity).</summary>
    public static string SpiffeIdFor(string trustDomain) => ControlPlaneIdentity.SpiffeIdFor(trustDomain);

    /// <summary>Called once the CA is loaded: issues the first certificate.</summary>
    public void Start(string trustDomain)
    {
        spiffeId = SpiffeIdFor(trustDomain);
        Current();
    }

    /// <summary>The certificate to serve now; null before <see cref="Start"/> (that handshake fails, the client retries).</summary>
    public X509Certificate2? Current()
    {
        var serving = Volatile.Read(ref current);
        if (serving is not null && time.GetUtcNow() < serving.RenewAt) return serving.Certificate;
        if (spiffeId is null) return null;
        lock (gate)
        {
            serving = current;
            if (serving is not null && time.GetUtcNow() < serving.RenewAt) return serving.Certificate;
            // The replaced certificate is not disposed: a handshake in flight may still be using it.
            serving = Issue(spiffeId);
            Volatile.Write(ref current, serving);
            return serving.Certificate;
        }
    }

    /// <summary>DNS names and IP literals the certificate is valid for.</summary>
    public IReadOnlyList<string> HostNames()
    {
        var settings = options.Value;
        var names = settings.GrpcTlsHostNames.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (names.Count == 0) names.AddRange(["localhost", Dns.GetHostName()]);
        names.AddRange(["127.0.0.1", "::1"]);
        if (IPAddress.TryParse(settings.ListenAddress, out var listen) && !listen.Equals(IPAddress.Any) && !listen.Equals(IPAddress.IPv6Any))
            names.Add(listen.ToString());
        return names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private Serving Issue(string identity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var hostNames = HostNames();
        var issued = certificates.Authority.Issue(identity, CommonName, options.Value.GrpcTlsCertificateLifetime, new PublicKey(key), hostNames);
        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem);
        var withKey = certificate.CopyWithPrivateKey(key);
        logger.LogInformation("gRPC TLS certificate issued for {Names} and {SpiffeId}, valid until {NotAfter:u}",
            string.Join(", ", hostNames), identity, issued.NotAfter);
        return new Serving(withKey, issued.RenewAt);
    }

    private sealed record Serving(X509Certificate2 Certificate, DateTimeOffset RenewAt);
}
