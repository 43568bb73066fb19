using System.Net;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Security;

/// <summary>
/// Two real sidecars front the same demo app behind mTLS inbound listeners with a DENY on /admin and
/// /admin/*, one per path normalisation mode. Requests go out byte for byte as written (no client-side
/// URI canonicalisation), as an attacker would send them.
/// </summary>
public sealed class PathNormalizationFixture : IAsyncLifetime
{
    public const string DenyPolicy = "deny-admin";

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create();
    public DemoBackendProcess App { get; private set; } = null!;
    public ProxyProcess Refusing { get; private set; } = null!;
    public ProxyProcess Decoding { get; private set; } = null!;
    public int RefusingPort { get; } = FreePort.Next();
    public int DecodingPort { get; } = FreePort.Next();

    public async Task InitializeAsync()
    {
        App = await DemoBackendProcess.StartAsync("vault", "v1", "vault-1");
        var proxies = await Task.WhenAll(
            ProxyProcess.StartAsync(Snapshot(PathNormalization.MergeSlashes, RefusingPort, "proxy-vault-refusing"), "proxy-vault-refusing"),
            ProxyProcess.StartAsync(Snapshot(PathNormalization.DecodeAndMergeSlashes, DecodingPort, "proxy-vault-decoding"), "proxy-vault-decoding"));
        (Refusing, Decoding) = (proxies[0], proxies[1]);
    }

    private ProxySnapshot Snapshot(PathNormalization mode, int inboundPort, string proxyId)
    {
        var issued = Ca.Issue(SnapshotCompiler.SpiffeId("cluster.local", "default", "vault"));
        return SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources =
            [
                new Service { Metadata = new ResourceMetadata { Name = "vault" }, Versions = [new ServiceVersion { Name = "v1" }] },
                new MeshSettings { Metadata = new ResourceMetadata { Name = MeshSettings.SingletonName }, PathNormalization = mode },
                new AccessPolicy
                {
                    Metadata = new ResourceMetadata { Name = DenyPolicy },
                    Service = "vault",
                    Action = AccessAction.Deny,
                    Rules = [new AccessRule { To = [new AccessOperation { Paths = ["/admin", "/admin/*"] }] }],
                },
            ],
            Proxy = new ProxyIdentity { ProxyId = proxyId, Service = "vault", Version = "v1", InboundPort = inboundPort, AppAddress = App.Address },
            Certificates = new SnapshotCertificates { CertificateChainPem = issued.CertificatePem, PrivateKeyPem = issued.PrivateKeyPem, TrustBundlePem = Ca.RootPem },
            Version = 1,
        });
    }

    /// <summary>A mesh peer calling one sidecar's inbound listener; the target is sent exactly as given.</summary>
    public async Task<HttpResponseMessage> SendAsync(int port, string target)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [Ca.Issue("spiffe://cluster.local/ns/default/sa/attacker").Certificate];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => Ca.Issued(certificate);
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
        var uri = new Uri($"https://127.0.0.1:{port}{target}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var response = await client.GetAsync(uri);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    public async Task DisposeAsync()
    {
        var all = new IAsyncDisposable?[] { Refusing, Decoding, App };
        await Task.WhenAll(all.Where(p => p is not null).Select(p => p!.DisposeAsync().AsTask()));
        Ca.Dispose();
    }
}

public sealed class PathNormalizationTests(PathNormalizationFixture mesh) : IClassFixture<PathNormalizationFixture>
{
    public static TheoryData<string> BypassAttempts() =>
    [
        "/admin",
        "/admin/keys",
        "/Admin",
        "/ADMIN/keys",
        "//admin",
        "/admin//keys",
        "/admin/../admin",
        "/public/../admin",
        "/public/..//admin/keys",
        "/./admin",
        "/%61dmin",
        "/%2e%2e/admin",
        "/public/%2E%2E/%41dmin/keys",
    ];

    [Theory]
    [MemberData(nameof(BypassAttempts))]
    public async Task BypassAttempt_EitherMode_Denied(string target)
    {
        foreach (var port in new[] { mesh.RefusingPort, mesh.DecodingPort })
        {
            using var response = await mesh.SendAsync(port, target);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{target} on port {port}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(PathNormalizationFixture.DenyPolicy, response.Headers.GetValues(MeshMiddleware.DeniedByHeader).Single());
        }
    }

    [Theory]
    [InlineData("/admin%2F..")]
    [InlineData("/admin%2Fkeys")]
    [InlineData("/public%2F..%2Fadmin")]
    [InlineData("/public%5C..%5Cadmin")]
    public async Task EncodedSlash_MergeSlashes_RefusedWith400(string target)
    {
        using var response = await mesh.SendAsync(mesh.RefusingPort, target);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(response.Headers.Contains(MeshMiddleware.PathRejectedHeader));
        Assert.Contains("encoded slash", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/admin%2Fkeys")]
    [InlineData("/public%2F..%2Fadmin")]
    [InlineData("/public%5C..%5CAdmin")]
    public async Task EncodedSlash_DecodeAndMergeSlashes_DecodedThenDenied(string target)
    {
        using var response = await mesh.SendAsync(mesh.DecodingPort, target);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(PathNormalizationFixture.DenyPolicy, response.Headers.GetValues(MeshMiddleware.DeniedByHeader).Single());
    }

    /// <summary>The app receives the path the policies judged, not the one the caller wrote.</summary>
    [Theory]
    [InlineData("//public//reports/", "/public/reports/")]
    [InlineData("/public/./a/../b", "/public/b")]
    [InlineData("/%70ublic", "/public")]
    [InlineData("/admin%2F..", "/")]
    public async Task AllowedPath_ForwardedNormalised(string target, string forwarded)
    {
        using var response = await mesh.SendAsync(mesh.DecodingPort, target);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(forwarded, (await MeshFixture.EchoAsync(response)).Path);
    }

    [Fact]
    public async Task DoublyEncodedSlash_DecodedOnce_ForwardedAsALiteralPercent()
    {
        // "%252F" is a literal "%2F" after one decoding, not a slash: it is not refused, and the app
        // (decoding what it receives once) reads "%2F" too, never "/".
        using var response = await mesh.SendAsync(mesh.RefusingPort, "/public%252F..%252Fadmin");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/public%2F..%2Fadmin", (await MeshFixture.EchoAsync(response)).Path);
    }
}
