using System.Threading.Channels;
using Meshwork.Portal.Hubs;
using Meshwork.Portal.Live;
using Meshwork.Portal.Tests.Hubs;
using Meshwork.Portal.ViewModels;
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
public sealed class LiveTrafficTests(LiveTrafficMesh.Portal portal) : LiveTrafficMeshTest(portal)
{
    private const double TargetRps = LiveTrafficMesh.TargetRps;
    private const double ErrorRate = LiveTrafficMesh.ErrorRate;
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(90);
    private static readonly string EdgeId = "edge:default/web/v1->default/shop/v1";

    [Fact]
    public async Task KnownRequestMix_ShowsOnItsEdgeWithRateAndSuccess_ThenDropsToZeroWhenTrafficStops()
    {
        var live = Portal.Services.GetRequiredService<MeshLiveData>();
        var session = await HubSession.NewViewerAsync(Portal);
        await using var connection = session.Connection();
        await connection.StartAsync();
        var graph = new TopologyClient();
        var stream = await connection.StreamAsChannelAsync<TopologyUpdate>("Topology", new TopologyFilter());
        var reading = FollowAsync(stream, graph);

        using var traffic = new CancellationTokenSource();
        var generator = Mesh.TrafficAsync(traffic.Token);
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
