using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Meshwork.Protocol.Transport;

/// <summary>
/// How every client of the control plane's gRPC port (proxies, the portal, tests, benches) reaches
/// it. An https:// address is verified against the mesh root in a trust bundle file (PEM) and
/// nothing else: the system store is never consulted, because the control plane's certificate is
/// issued by the mesh's own CA, as istiod's is. The host name must match a SAN of the certificate.
/// An http:// address is cleartext h2c, for a control plane started with ControlPlane:GrpcPlaintext.
/// </summary>
public static class ControlPlaneTls
{
    /// <summary>
    /// Configures <paramref name="handler"/> for <paramref name="address"/> and returns it. For
    /// https:// the bundle file is required; it is read at every handshake, so a replaced bundle
    /// (a rotated root) applies from the next connection on without a restart.
    /// </summary>
    public static SocketsHttpHandler Secure(SocketsHttpHandler handler, string address, string? trustBundleFile, ILogger logger)
    {
        if (!RequiresTls(address)) return handler;
        if (string.IsNullOrWhiteSpace(trustBundleFile))
            throw new InvalidOperationException(
                $"The control plane address {address} is https:// but no trust bundle file is set: give the mesh root PEM the control plane writes (ControlPlane:TrustBundleFile).");
        var bundleFile = Path.GetFullPath(trustBundleFile);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
        {
            var problem = Verify(certificate, chain, errors, bundleFile);
            if (problem is null) return true;
            logger.LogError("TLS to the control plane at {Address} refused: {Problem}", address, problem);
            return false;
        };
        return handler;
    }

    /// <summary>A channel for the control plane at <paramref name="address"/>, verified as <see cref="Secure"/> describes.</summary>
    public static Grpc.Net.Client.GrpcChannel Channel(string address, string? trustBundleFile, ILogger logger) =>
        Grpc.Net.Client.GrpcChannel.ForAddress(address, new Grpc.Net.Client.GrpcChannelOptions
        {
            HttpHandler = Secure(new SocketsHttpHandler(), address, trustBundleFile, logger),
        });

    public static bool RequiresTls(string address) => address.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Null when the certificate is the control plane's; else what is wrong, for the log.</summary>
    public static string? Verify(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, string bundleFile)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return "the server sent no certificate";
        // A copy: the certificate passed in belongs to the handshake.
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        // SslStream compares the host (DNS name or IP address) with the SANs; its chain verdict is
        // against the system store and is replaced by the one against the bundle below.
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"the certificate ({leaf.Subject}) is not issued for this host name";

        X509Certificate2Collection roots;
        try
        {
            roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(bundleFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            return $"the trust bundle {bundleFile} cannot be read ({ex.Message})";
        }
        if (roots.Count == 0)
            return $"the trust bundle {bundleFile} holds no certificate";

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        // The mesh CA publishes no revocation lists; its server certificates are short-lived instead.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                if (!element.Certificate.RawData.AsSpan().SequenceEqual(leaf.RawData))
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (chain.Build(leaf)) return null;
        var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        return $"the certificate ({leaf.Subject}, issued by {leaf.Issuer}) does not chain to the mesh root in the trust bundle {bundleFile} ({status})";
    }
}
