using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Infrastructure;

/// <summary>
/// One small mesh of real processes shared by the proxy tests (started once, in parallel):
/// demo backends reviews v1/v2, ratings a/b, flaky; a "web" sidecar whose outbound listener the
/// tests call through; and a "secure" sidecar fronting reviews-v1's app behind an mTLS inbound
/// listener with a DENY policy and a local rate limit. Certificates come from a test CA.
/// </summary>
public sealed class MeshFixture : IAsyncLifetime
{
    public const string DenyPolicy = "deny-private";
    public const int RateLimitTokens = 10;
    public static readonly TimeSpan RateLimitFill = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan EjectionTime = TimeSpan.FromSeconds(4);
    public const int PoolConnections = 2;
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromMilliseconds(300);
    public const int PoolPending = 2;

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create();
    public TestCertificateAuthority RogueCa { get; } = TestCertificateAuthority.Create("Rogue CA");

    public DemoBackendProcess ReviewsV1 { get; private set; } = null!;
    public DemoBackendProcess ReviewsV2 { get; private set; } = null!;
    public DemoBackendProcess RatingsA { get; private set; } = null!;
    public DemoBackendProcess RatingsB { get; private set; } = null!;
    public DemoBackendProcess Flaky { get; private set; } = null!;
    public ProxyProcess Web { get; private set; } = null!;
    public ProxyProcess Secure { get; private set; } = null!;
    public int WebOutboundPort { get; } = FreePort.Next();
    public int SecureInboundPort { get; } = FreePort.Next();
    public HttpClient Outbound { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var started = await StartTogether.AllOrNoneAsync(
            DemoBackendProcess.StartAsync("reviews", "v1", "reviews-v1"),
            DemoBackendProcess.StartAsync("reviews", "v2", "reviews-v2"),
            DemoBackendProcess.StartAsync("ratings", "v1", "ratings-a"),
            DemoBackendProcess.StartAsync("ratings", "v1", "ratings-b"),
            DemoBackendProcess.StartAsync("flaky", "v1", "flaky-1"));
        (ReviewsV1, ReviewsV2, RatingsA, RatingsB, Flaky) = (started[0], started[1], started[2], started[3], started[4]);

        var proxies = await StartTogether.AllOrNoneAsync(
            ProxyProcess.StartAsync(WebSnapshot(version: 1), "proxy-web"),
            ProxyProcess.StartAsync(SecureSnapshot(), "proxy-secure"));
        (Web, Secure) = (proxies[0], proxies[1]);
        Outbound = ProxyProcess.OutboundClient(WebOutboundPort);
    }

    public static IReadOnlyList<Resource> MeshResources(int v1Weight = 90, int v2Weight = 10) =>
    [
        Service("reviews", "v1", "v2"),
        Service("ratings", "v1"),
        Service("flaky", "v1"),
        Service("secure", "v1"),
        Service("sticky", "v1"),
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "flaky" },
            ParentRefs = [new ParentRef { Name = "flaky" }],
            Rules =
            [
                new HttpRouteRule
                {
                    Name = "slow",
                    Matches = [new HttpRouteMatch { Path = new PathMatch { Type = PathMatchType.PathPrefix, Value = "/slow" } }],
                    BackendRefs = [new BackendRef { Service = "flaky" }],
                    Timeouts = new RouteTimeouts { Request = RequestTimeout },
                },
                new HttpRouteRule { Name = "all", BackendRefs = [new BackendRef { Service = "flaky" }] },
            ],
        },
        new ResiliencePolicy
        {
            Metadata = new ResourceMetadata { Name = "sticky" },
            Service = "sticky",
            LoadBalancer = new LoadBalancerSettings { Policy = LoadBalancingPolicy.ConsistentHash, HashHeader = "x-user" },
            HealthCheck = new ActiveHealthCheck { Path = "/health", Interval = TimeSpan.FromMilliseconds(300), Timeout = TimeSpan.FromSeconds(1), UnhealthyThreshold = 1 },
        },
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "reviews" },
            ParentRefs = [new ParentRef { Name = "reviews" }],
            Rules =
            [
                new HttpRouteRule
                {
                    Name = "beta",
                    Matches = [new HttpRouteMatch { Headers = [new HeaderMatch { Name = "x-beta", Value = "true" }] }],
                    BackendRefs = [new BackendRef { Service = "reviews", Version = "v2" }],
                    Filters =
                    [
                        new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new RequestMirror { BackendRef = new BackendRef { Service = "reviews", Version = "v1" } } },
                        new HttpRouteFilter { Type = HttpRouteFilterType.ResponseHeaderModifier, ResponseHeaderModifier = new HeaderModifier { Set = [new HttpHeader { Name = "x-route", Value = "beta" }] } },
                    ],
                },
                new HttpRouteRule
                {
                    Name = "moved",
                    Matches = [new HttpRouteMatch { Path = new PathMatch { Type = PathMatchType.PathPrefix, Value = "/old" } }],
                    Filters = [new HttpRouteFilter { Type = HttpRouteFilterType.RequestRedirect, RequestRedirect = new RequestRedirect { Path = new PathModifier { Type = PathModifierType.ReplacePrefixMatch, Value = "/new" }, StatusCode = 301 } }],
                },
                new HttpRouteRule
                {
                    Name = "fault",
                    Matches = [new HttpRouteMatch { Path = new PathMatch { Type = PathMatchType.PathPrefix, Value = "/fault" } }],
                    BackendRefs = [new BackendRef { Service = "reviews", Version = "v1" }],
                    Fault = new FaultInjection { Abort = new FaultAbort { HttpStatus = 418, Percent = 100 } },
                },
                new HttpRouteRule
                {
                    Name = "split",
                    BackendRefs = [new BackendRef { Service = "reviews", Version = "v1", Weight = v1Weight }, new BackendRef { Service = "reviews", Version = "v2", Weight = v2Weight }],
                },
            ],
        },
        new ResiliencePolicy
        {
            Metadata = new ResourceMetadata { Name = "flaky" },
            Service = "flaky",
            Retries = new RetryPolicy { Attempts = 2, RetryOn = ["retriable-status-codes"], RetriableStatusCodes = [503], BackoffBase = TimeSpan.FromMilliseconds(20), BackoffMax = TimeSpan.FromMilliseconds(50) },
            LoadBalancer = new LoadBalancerSettings { Policy = LoadBalancingPolicy.RoundRobin },
        },
        new ResiliencePolicy
        {
            Metadata = new ResourceMetadata { Name = "ratings" },
            Service = "ratings",
            OutlierDetection = new OutlierDetection { Consecutive5xxErrors = 3, Interval = TimeSpan.FromSeconds(1), BaseEjectionTime = EjectionTime, MaxEjectionPercent = 50 },
            ConnectionPool = new ConnectionPoolSettings { MaxConnections = PoolConnections, MaxPendingRequests = PoolPending, MaxRequests = 100 },
            LoadBalancer = new LoadBalancerSettings { Policy = LoadBalancingPolicy.RoundRobin },
        },
        new AccessPolicy
        {
            Metadata = new ResourceMetadata { Name = DenyPolicy },
            Service = "secure",
            Action = AccessAction.Deny,
            Rules = [new AccessRule { To = [new AccessOperation { Paths = ["/private*"] }] }],
        },
        new ResiliencePolicy
        {
            Metadata = new ResourceMetadata { Name = "secure" },
            Service = "secure",
            RateLimit = new LocalRateLimit { MaxTokens = RateLimitTokens, TokensPerFill = RateLimitTokens, FillInterval = RateLimitFill },
        },
    ];

    public IReadOnlyList<Instance> Instances() =>
    [
        Instance(ReviewsV1), Instance(ReviewsV2), Instance(RatingsA), Instance(RatingsB), Instance(Flaky),
        Instance(RatingsA) with { Id = "sticky-a", Service = "sticky" },
        Instance(RatingsB) with { Id = "sticky-b", Service = "sticky" },
        new() { Id = "secure-1", Service = "secure", Version = "v1", Address = $"127.0.0.1:{SecureInboundPort}", ProxyId = "proxy-secure", Health = InstanceHealth.Healthy },
    ];

    /// <summary>The web sidecar: plain HTTP to the demo backends, mTLS to the secure sidecar.</summary>
    public ProxySnapshot WebSnapshot(long version, int v1Weight = 90, int v2Weight = 10)
    {
        var snapshot = SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = MeshResources(v1Weight, v2Weight),
            Instances = Instances(),
            Proxy = new ProxyIdentity { ProxyId = "proxy-web", Service = "web", Version = "v1", OutboundPort = WebOutboundPort },
            Certificates = Certificates("web"),
            Version = version,
        });
        return SnapshotHash.WithHash(snapshot with
        {
            Clusters = snapshot.Clusters.Select(c => c with { MeshTls = c.Service == "secure" }).ToArray(),
        });
    }

    private ProxySnapshot SecureSnapshot() => SnapshotCompiler.Compile(new SnapshotInputs
    {
        Resources = MeshResources(),
        Instances = Instances(),
        Proxy = new ProxyIdentity { ProxyId = "proxy-secure", Service = "secure", Version = "v1", InboundPort = SecureInboundPort, AppAddress = ReviewsV1.Address },
        Certificates = Certificates("secure"),
        Version = 1,
    });

    public SnapshotCertificates Certificates(string service, TestCertificateAuthority? ca = null)
    {
        var issued = (ca ?? Ca).Issue(SnapshotCompiler.SpiffeId("cluster.local", "default", service));
        return new SnapshotCertificates { CertificateChainPem = issued.CertificatePem, PrivateKeyPem = issued.PrivateKeyPem, TrustBundlePem = Ca.RootPem };
    }

    /// <summary>A client calling the secure sidecar's inbound listener directly, with an optional client certificate; it trusts only the test CA.</summary>
    public HttpClient InboundClient(X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        if (clientCertificate is not null)
            handler.SslOptions.ClientCertificates = [clientCertificate];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => Ca.Issued(certificate);
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{SecureInboundPort}"), Timeout = TimeSpan.FromSeconds(15) };
    }

    public static async Task<EchoBody> EchoAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<EchoBody>())!;

    private static Service Service(string name, params string[] versions) => new()
    {
        Metadata = new ResourceMetadata { Name = name },
        Versions = versions.Select(v => new ServiceVersion { Name = v }).ToArray(),
    };

    private static Instance Instance(DemoBackendProcess backend) => new()
    {
        Id = backend.Instance,
        Service = backend.Service,
        Version = backend.Version,
        Address = backend.Address,
        ProxyId = backend.Instance,
        Health = InstanceHealth.Healthy,
    };

    public async Task DisposeAsync()
    {
        Outbound?.Dispose();
        var all = new IAsyncDisposable?[] { Web, Secure, ReviewsV1, ReviewsV2, RatingsA, RatingsB, Flaky };
        await Task.WhenAll(all.Where(p => p is not null).Select(p => p!.DisposeAsync().AsTask()));
        Ca.Dispose();
        RogueCa.Dispose();
    }
}

/// <summary>What a demo backend echoes.</summary>
public sealed record EchoBody(string Service, string Version, string Instance, string Method, string Path, Dictionary<string, string> Headers);

[CollectionDefinition(Name)]
public sealed class MeshCollection : ICollectionFixture<MeshFixture>
{
    public const string Name = "mesh";
}
