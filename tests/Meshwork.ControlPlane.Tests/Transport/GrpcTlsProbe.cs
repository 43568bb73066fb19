using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.ControlPlane.Tests.Transport;

/// <summary>
/// One TLS handshake with the control plane's gRPC port, accepting whatever it presents, so a test
/// can inspect the certificate itself (a client that verified would only say yes or no).
/// </summary>
internal static class GrpcTlsProbe
{
    public sealed record Handshake(X509Certificate2 Certificate, SslApplicationProtocol Protocol);

    public static async Task<Handshake> ConnectAsync(int port, string targetHost)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            EnabledSslProtocols = SslProtocols.None,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        var presented = tls.RemoteCertificate ?? throw new InvalidOperationException("no server certificate");
        return new Handshake(X509CertificateLoader.LoadCertificate(presented.GetRawCertData()), tls.NegotiatedApplicationProtocol);
    }

    public static IReadOnlyList<string> DnsNames(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();

    public static IReadOnlyList<string> IpAddresses(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses().Select(ip => ip.ToString()).ToList();

    /// <summary>True when the certificate chains to <paramref name="root"/> and nothing else.</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
