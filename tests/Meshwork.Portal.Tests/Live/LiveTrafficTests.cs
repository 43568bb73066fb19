using System.Globalization;
using System.Security.Cryptography;
using System.Threading.Channels;
using Meshwork.Model.Resources;
using Meshwork.Portal.Hubs;
using Meshwork.Portal.Live;
using Meshwork.Portal.Tests.Hubs;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Live;

/// <summary>
/// The live-data path end to end with real processes: PostgreSQL, the control plane, two sidecars (web calling
/// shop) and a demo backend failing 5 % of requests; the portal watches the control plane's status stream and a
/// SignalR client watches the portal's hub. A known request mix shows on the right edge, and goes to zero when
/// the traffic stops.
/// </summary>
public sealed class LiveTrafficTests : IClassFixture<LiveTrafficTests.Portal>, IAsyncLifetime
{
    private const double TargetRps = 100;
    private const double ErrorRate = 0.05;
    private const string StatusToken = "live-traffic-status-token";
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(90);
    private static readonly string EdgeId = "edge:default/web/v1->default/shop/v1";

    /// <summary>The portal, told where the control plane will listen before it starts (its watcher retries until then).</summary>
    public sealed class Portal : PortalFactory
    {
        public Portal() => Settings = new Dictionary<string, string>
        {
            ["Portal:ControlPlane:Address"] = $"https://127.0.0.1:{GrpcPort}",
            ["Portal:ControlPlane:StatusToken"] = StatusToken,
            ["Portal:ControlPlane:TrustBundleFile"] = TrustBundleFile,
        };

        public int GrpcPort { get; } = FreePort.Next();
        public string TrustBundleFile { get; } = Path.Combine(Directory.CreateTempSubdirectory("meshwork-live-traffic-").FullName, "trust-bundle.pem");
    }

    private readonly Portal portal;
    private readonly List<IAsyncDisposable> running = [];
    private MeshProxy? caller;

    public LiveTrafficTests(Portal portal) => this.portal = portal;

    public async Task InitializeAsync()
    {
        await using (var db = MigratedDatabase.OpenSession(portal.ConnectionString))
        {
            var store = new ResourceService(db, TimeProvider.System);
            var actor = new ChangeActor("live-traffic-test", ChangeSource.Api);
            foreach (var service in new[] { "web", "shop" })
                Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new Service { Metadata = new ResourceMetadata { Name = service }, Versions = [new ServiceVersion { Name = "v1" }] }, actor));
        }
        var httpPort = FreePort.Next();
        var controlPlane = ChildProcess.Start("Meshwork.ControlPlane", [], new Dictionary<string, string>
        {
            ["ConnectionStrings__Meshwork"] = portal.ConnectionString,
            ["ControlPlane__GrpcPort"] = portal.GrpcPort.ToString(CultureInfo.InvariantCulture),
            ["ControlPlane__HttpPort"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["ControlPlane__StatusToken"] = StatusToken,
            ["ControlPlane__CaKeyEncryptionKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["ControlPlane__TrustBundleFile"] = portal.TrustBundleFile,
        });
        running.Add(controlPlane);
        await controlPlane.WaitForHttpOkAsync($"http://127.0.0.1:{httpPort}/health");

        string token;
        await using (var db = MigratedDatabase.OpenSession(portal.ConnectionString))
            token = (await new BootstrapTokenService(db, TimeProvider.System).IssueAsync("live-traffic", "*", "default", TimeSpan.FromHours(1), new ChangeActor("test", ChangeSource.System), allowWildcard: true)).Secret;
        var controlPlanes = new[] { $"https://127.0.0.1:{portal.GrpcPort}" };
        var backend = await DemoBackendProcess.StartAsync("shop", "v1", "shop-v1-a", errorRate: ErrorRate);
        running.Add(backend);
        running.Add(await MeshProxy.StartAsync(controlPlanes, portal.TrustBundleFile, token, "shop-v1-1", "shop", "v1", backend.Address));
        caller = await MeshProxy.StartAsync(controlPlanes, portal.TrustBundleFile, token, "web-1", "web", "v1", appAddress: null);
        running.Add(caller);
    }

    public async Task DisposeAsync()
    {
        for (var i = running.Count - 1; i >= 0; i--)
            await running[i].DisposeAsync();
    }

    /// <summary>Requests to http://shop/ through web's sidecar, paced at <see cref="TargetRps"/> by four workers, until cancelled.</summary>
    private async Task TrafficAsync(CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(4 / TargetRps);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var client = caller!.OutboundClient();
            using var timer = new PeriodicTimer(interval);
            try
            {
                while (await timer.WaitForNextTickAsync(ct))
                {
                    try
                    {
                        using var response = await client.GetAsync("http://shop/", ct);
                    }
                    catch (HttpRequestException)
                    {
                        // Counted by the proxies (or not at all); the assertions read their view.
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }));
    }

    [Fact]
    public async Task KnownRequestMix_ShowsOnItsEdgeWithRateAndSuccess_ThenDropsToZeroWhenTrafficStops()
    {
        var live = portal.Services.GetRequiredService<MeshLiveData>();
        var session = await HubSession.NewViewerAsync(portal);
        await using var connection = session.Connection();
        await connection.StartAsync();
        var graph = new TopologyClient();
        var stream = await connection.StreamAsChannelAsync<TopologyUpdate>("Topology", new TopologyFilter());
        var reading = FollowAsync(stream, graph);

        using var traffic = new CancellationTokenSource();
        var generator = TrafficAsync(traffic.Token);
        try
        {
            // About 100 RPS and 95 % success over the control plane's 10 s window (the pacing may fall short on a
            // loaded machine: the rate is compared with what was achieved, the success rate with the backend's).
            await Eventually.HoldsAsync(() =>
            {
                var edge = live.Current.Edges.FirstOrDefault(e => TopologyGraphModel.EdgeId(e) == EdgeId);
                return Task.FromResult(edge?.Signals is { Requests: >= 500 } s && s.Rps >= 0.5 * TargetRps && s.Rps <= 1.3 * TargetRps
                    && Math.Abs(s.SuccessRate - (1 - ErrorRate)) <= 0.03);
            }, $"the web -> shop edge near {TargetRps} rps and {1 - ErrorRate:P0} success", Generous);
            await Eventually.HoldsAsync(() => Task.FromResult(graph.Element(EdgeId) is { Classes: var classes } && classes.StartsWith("degraded", StringComparison.Ordinal)),
                "the hub's graph shows the edge degraded (5 % failing is above 0.1 %, below 10 %)", Generous);
        }
        finally
        {
            await traffic.CancelAsync();
        }
        await generator;

        // Traffic stopped: within the window the rate goes to zero, in the live data and on the hub's graph.
        await Eventually.HoldsAsync(() => Task.FromResult(live.Current.Edges.FirstOrDefault(e => TopologyGraphModel.EdgeId(e) == EdgeId)?.Signals is { Requests: 0, Rps: 0 }),
            "the edge's rate back to zero", Generous);
        await Eventually.HoldsAsync(() => Task.FromResult(graph.Element(EdgeId) is { Classes: var classes, Data.Label: "idle" } && classes.StartsWith("idle", StringComparison.Ordinal)),
            "the hub's graph shows the edge idle", Generous);

        await connection.StopAsync();
        await reading;
    }

    /// <summary>Applies the hub's messages as the browser does (<see cref="TopologyClient"/>).</summary>
    private static async Task FollowAsync(ChannelReader<TopologyUpdate> stream, TopologyClient graph)
    {
        try
        {
            await foreach (var update in stream.ReadAllAsync())
                graph.Apply(update);
        }
        catch (OperationCanceledException)
        {
            // The connection was stopped: the stream ends so.
        }
    }
}
