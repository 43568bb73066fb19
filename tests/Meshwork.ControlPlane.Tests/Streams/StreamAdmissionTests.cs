using Grpc.Core;
using Meshwork.ControlPlane.Tests.Infrastructure;

namespace Meshwork.ControlPlane.Tests.Streams;

public sealed class StreamAdmissionTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Connect_ValidToken_ReceivesSnapshotWithSpiffeCertificate()
    {
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel,
            SimulatedProxy.HelloFor(fixture.Token, "admitted-1", "admitted", ns: "shop"));

        var snapshot = await proxy.WaitForAsync(_ => true, Timeout);

        Assert.Equal("spiffe://cluster.local/ns/shop/sa/admitted", snapshot.Identity.SpiffeId);
        Assert.Contains("BEGIN CERTIFICATE", snapshot.Certificates.CertificateChainPem);
        Assert.Contains("BEGIN CERTIFICATE", snapshot.Certificates.TrustBundlePem);
        using var leaf = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(snapshot.Certificates.CertificateChainPem);
        Assert.Contains("spiffe://cluster.local/ns/shop/sa/admitted", leaf.Extensions
            .OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single().RawData is { } raw
            ? System.Text.Encoding.ASCII.GetString(raw) : "");
    }

    public static TheoryData<string> RefusedTokens => new() { "unknown", "revoked", "expired", "other-service" };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task Connect_InvalidToken_IsRefusedWithPermissionDeniedAndGetsNothing(string kind)
    {
        var token = kind switch
        {
            "unknown" => "not-a-token",
            "revoked" => await TestTokens.IssueAsync(fixture.ConnectionString, revoked: true),
            "expired" => await TestTokens.IssueAsync(fixture.ConnectionString, validFor: TimeSpan.FromMilliseconds(1)),
            _ => await TestTokens.IssueAsync(fixture.ConnectionString, service: "payments", ns: "default"),
        };
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(token, $"refused-{kind}", "intruder"));

        var failure = await proxy.CompletionAsync(Timeout);

        Assert.NotNull(failure);
        Assert.Equal(StatusCode.PermissionDenied, failure.StatusCode);
        Assert.Equal(0, proxy.Received);
    }

    [Fact]
    public async Task Root_StoredInPostgres_IsEncryptedWithTheConfiguredKeyAndIsTheTrustBundle()
    {
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "ca-check", "ca-check"));
        var snapshot = await proxy.WaitForAsync(_ => true, Timeout);

        var root = Assert.Single(await StoredRoots.ActiveAsync(fixture.ConnectionString));

        Assert.Equal(snapshot.Certificates.TrustBundlePem.Trim(), root.CertificatePem.Trim());
        Assert.DoesNotContain("PRIVATE KEY", System.Text.Encoding.ASCII.GetString(root.EncryptedPrivateKey));
        var key = new Meshwork.ControlPlane.Certificates.CaKeyProtector(fixture.ControlPlane.CaKey).Unprotect(root.EncryptedPrivateKey);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", System.Text.Encoding.UTF8.GetString(key));
    }
}
