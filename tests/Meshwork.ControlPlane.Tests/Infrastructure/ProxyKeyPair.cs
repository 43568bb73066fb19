using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Meshwork.Protocol.Snapshots;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>
/// A simulated proxy's own key kept across streams, as a real proxy keeps it: the CSR for its Hellos,
/// and the workload certificate from a snapshot paired with it, to present as TLS client certificate.
/// </summary>
public sealed class ProxyKeyPair : IDisposable
{
    private readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public byte[] SigningRequest => new CertificateRequest("CN=simulated-proxy", key, HashAlgorithmName.SHA256).CreateSigningRequest();

    /// <summary>The snapshot's workload certificate with this key, ready for a TLS handshake.</summary>
    public X509Certificate2 CertificateFrom(ProxySnapshot snapshot)
    {
        using var certificate = X509Certificate2.CreateFromPem(snapshot.Certificates.CertificateChainPem);
        return certificate.CopyWithPrivateKey(key);
    }

    /// <summary>A new connection to the control plane that presents <paramref name="clientCertificate"/>.</summary>
    public static GrpcChannel ChannelWith(ControlPlaneProcess controlPlane, X509Certificate2 clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [clientCertificate];
        return GrpcChannel.ForAddress(controlPlane.Address, new GrpcChannelOptions
        {
            HttpHandler = ControlPlaneTls.Secure(handler, controlPlane.Address, controlPlane.TrustBundleFile, NullLogger.Instance),
        });
    }

    public void Dispose() => key.Dispose();
}
