using System.Security.Cryptography.X509Certificates;
using Meshwork.ControlPlane.Certificates;
using Meshwork.ControlPlane.Tokens;
using Meshwork.Model.Validation;
using Meshwork.Protocol.Mesh;
using Meshwork.Store;

namespace Meshwork.ControlPlane.Streams;

/// <summary>
/// Decides who a new proxy stream is. A proxy that joined before presents its workload certificate
/// as TLS client certificate: its SPIFFE id fixes the namespace and service (the Hello must say the
/// same), its key must be the key of the Hello's CSR, and the bootstrap token it joined with must not
/// be revoked (expiry does not matter any more: the certificate is the credential after the join,
/// as with Istio and SPIRE). Without a usable certificate the bootstrap token decides, scoped to the
/// namespace and service the Hello claims, and the join is recorded for the CSR's key. The control
/// plane's own namespace is refused either way.
/// </summary>
public sealed class ProxyAuthenticator(
    BootstrapTokenValidator tokens,
    ProxyJoinStore joins,
    WorkloadCertificates certificates,
    TimeProvider time)
{
    public async Task<ProxyAuthentication> AuthenticateAsync(Hello hello, PublicKey requestKey, X509Certificate2? clientCertificate,
        string trustDomain, CancellationToken ct)
    {
        if (hello.Namespace == IdentityNames.ReservedNamespace)
            return ProxyAuthentication.Refused($"namespace '{IdentityNames.ReservedNamespace}' is the control plane's own identity and cannot be claimed");

        string? certificateProblem = null;
        if (clientCertificate is not null)
        {
            var spiffeId = ClientCertificateIdentity.Verify(clientCertificate, certificates.Authority.Root, trustDomain, time.GetUtcNow(), out certificateProblem);
            if (spiffeId is not null)
                return await ByCertificateAsync(hello, requestKey, clientCertificate, spiffeId, trustDomain, ct);
        }

        // No certificate yet (first join), or one this control plane cannot accept (expired while the
        // proxy was away, issued by a replaced root): the token decides, as at the first join.
        var check = await tokens.ValidateAsync(hello.BootstrapToken, hello.Service, hello.Namespace, ct);
        if (!check.IsValid)
            return ProxyAuthentication.Refused(certificateProblem is null ? check.Reason! : $"client certificate refused: {certificateProblem}; {check.Reason}");
        await joins.RecordAsync(requestKey, check.TokenId, hello.Namespace, hello.Service, hello.ProxyId, ct);
        return new ProxyAuthentication(true, ProxyCredential.BootstrapToken, check.TokenId, check.TokenName, check.ExpiresAt, null);
    }

    private async Task<ProxyAuthentication> ByCertificateAsync(Hello hello, PublicKey requestKey, X509Certificate2 clientCertificate,
        string spiffeId, string trustDomain, CancellationToken ct)
    {
        var claimed = SpiffeId.For(trustDomain, hello.Namespace, hello.Service);
        if (spiffeId != claimed)
            return ProxyAuthentication.Refused($"the client certificate is {spiffeId}; the Hello claims {claimed}");
        if (spiffeId == GrpcServerCertificate.SpiffeIdFor(trustDomain))
            return ProxyAuthentication.Refused("the control plane's own certificate cannot open a proxy stream");
        if (!clientCertificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(requestKey.ExportSubjectPublicKeyInfo()))
            return ProxyAuthentication.Refused("the client certificate's key is not the key of the Hello's certificate_signing_request");
        var join = await joins.FindAsync(requestKey, ct);
        if (join is null)
            return ProxyAuthentication.Refused("no join is recorded for this certificate's key; join again with a bootstrap token");
        if (join.TokenRevokedAt is not null)
            return ProxyAuthentication.Refused($"bootstrap token '{join.TokenName}' this proxy joined with was revoked");
        if (join.Namespace != hello.Namespace || join.Service != hello.Service)
            return ProxyAuthentication.Refused($"this key joined as {join.Namespace}/{join.Service}, not {hello.Namespace}/{hello.Service}");
        return new ProxyAuthentication(true, ProxyCredential.WorkloadCertificate, join.TokenId, join.TokenName, null, null);
    }
}
