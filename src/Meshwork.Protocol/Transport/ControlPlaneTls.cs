using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Meshwork.Protocol.Transport;

/// <summary>
/// How every client of the control plane's gRPC port (proxies, the portal, tests, benches) reaches
/// it. An https:// address is verified against the mesh root in a trust bundle file (PEM) and
/// nothing else: the system store is never consulted, because the control plane's certificate is
/// issued by the mesh's own CA, as istiod's is. The server is recognised by its pinned SPIFFE id
/// (<see cref="ControlPlaneIdentity"/>), not by the host name dialled: every workload holds a mesh
/// certificate, so chaining to the root alone proves nothing, while a name check would only tie
/// the client to whatever DNS says.
/// An http:// address is cleartext h2c, for a control plane started with ControlPlane:GrpcPlaintext.
/// </summary>
public static class ControlPlaneTls
{
    /// <summary>
    /// Configures <paramref name="handler"/> for <paramref name="address"/> and returns it. For
    /// https:// the bundle file is required; it is read at every handshake, so a replaced bundle
    /// (a rotated root) applies from the next connection on without a restart.
    /// </summary>
    /// <param name="trustDomain">The mesh's trust domain: the server must present <see cref="ControlPlaneIdentity.SpiffeIdFor"/> it.</param>
    public static SocketsHttpHandler Secure(SocketsHttpHandler handler, string address, string? trustBundleFile, ILogger logger, string trustDomain = ControlPlaneIdentity.DefaultTrustDomain)
    {
        if (!RequiresTls(address)) return handler;
        if (string.IsNullOrWhiteSpace(trustBundleFile))
            throw new InvalidOperationException(
                $"The control plane address {address} is https:// but no trust bundle file is set: give the mesh root PEM the control plane writes (ControlPlane:TrustBundleFile).");
        var bundleFile = Path.GetFullPath(trustBundleFile);
        var expected = ControlPlaneIdentity.SpiffeIdFor(trustDomain);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
        {
            var problem = Verify(certificate, chain, errors, bundleFile, expected);
            if (problem is null) return true;
            logger.LogError("TLS to the control plane at {Address} refused: {Problem}", address, problem);
            return false;
        };
        return handler;
    }

    /// <summary>A channel for the control plane at <paramref name="address"/>, verified as <see cref="Secure"/> describes.</summary>
    public static Grpc.Net.Client.GrpcChannel Channel(string address, string? trustBundleFile, ILogger logger, string trustDomain = ControlPlaneIdentity.DefaultTrustDomain) =>
        Grpc.Net.Client.GrpcChannel.ForAddress(address, new Grpc.Net.Client.GrpcChannelOptions
        {
            HttpHandler = Secure(new SocketsHttpHandler(), address, trustBundleFile, logger, trustDomain),
        });

    public static bool RequiresTls(string address) => address.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Null when the certificate is the control plane's (<paramref name="expectedSpiffeId"/>, chained to the bundle); else what is wrong, for the log.</summary>
    public static string? Verify(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, string bundleFile, string expectedSpiffeId)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return "the server sent no certificate";
        // A copy: the certificate passed in belongs to the handshake.
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        // SslStream's verdicts (host name against the SANs, chain against the system store) are
        // ignored: the identity is the pinned SPIFFE id, the chain is checked against the bundle below.
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
        if (chain.Build(leaf))
        {
            // Chained to the mesh root, so the id it carries was issued by the mesh CA: it must be the control plane's.
            var spiffeId = SpiffeCertificateId.Read(leaf);
            return string.Equals(spiffeId, expectedSpiffeId, StringComparison.Ordinal)
                ? null
                : $"the certificate ({leaf.Subject}) presents {spiffeId ?? "no SPIFFE id"}, not the control plane's {expectedSpiffeId}";
        }
        var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        return $"the certificate ({leaf.Subject}, issued by {leaf.Issuer}) does not chain to the mesh root in the trust bundle {bundleFile} ({status})";
    }
}
