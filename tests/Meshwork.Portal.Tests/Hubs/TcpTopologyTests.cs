using Meshwork.Portal.Hubs;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Hubs;

/// <summary>
/// TCP route edges on /hubs/mesh through the real portal pipeline and SignalR client: the control plane's TCP edges
/// (fed as its status stream feeds them) reach the graph as "tcp" edges beside the HTTP ones, with connections and
/// bytes in their label, change in place when traffic stops, and go when the control plane no longer reports them.
/// </summary>
public sealed class TcpTopologyTests : IClassFixture<MeshHubTests.Portal>
{
    private const string TcpEdgeId = "tcp:default/web/v1->default/db/v1";
    private readonly MeshHubTests.Portal portal;
    private readonly MeshLiveData live;

    public TcpTopologyTests(MeshHubTests.Portal portal)
    {
        this.portal = portal;
        live = portal.Services.GetRequiredService<MeshLiveData>();
    }

    private static StatusUpdate Signals(bool full, TcpEdgeSignals? tcp)
    {
        var update = new StatusUpdate { FullState = full, HasSignals = true, AtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        update.Edges.Add(new EdgeSignals
        {
            SourceService = "web", SourceNamespace = "default", SourceVersion = "v1",
            DestinationService = "db", DestinationNamespace = "default", DestinationVersion = "v1",
            Signals = new GoldenSignals { Requests = 10, Rps = 1, SuccessRate = 1, WindowSeconds = 10 },
        });
        if (tcp is not null) update.TcpEdges.Add(tcp);
        return update;
    }

    private static TcpEdgeSignals Tcp(ulong active, double connectionsPerSecond, double bytesPerSecond, ulong denied = 0) => new()
    {
        SourceService = "web", SourceNamespace = "default", SourceVersion = "v1",
        DestinationService = "db", DestinationNamespace = "default", DestinationVersion = "v1",
        WindowSeconds = 10, Active = active, ConnectionsPerSecond = connectionsPerSecond, Opened = (ulong)(connectionsPerSecond * 10),
        ReceivedBytesPerSecond = bytesPerSecond / 2, SentBytesPerSecond = bytesPerSecond / 2, Denied = denied,
    };

    [Fact]
    public async Task Topology_TcpEdge_IsSentBesideTheHttpEdge_WithConnectionsAndBytes_ChangesWhenIdle_AndGoes()
    {
        live.Apply(MeshHubTests.ControlPlane, Signals(full: true, Tcp(active: 3, connectionsPerSecond: 0.5, bytesPerSecond: 12_400)));
        var session = await HubSession.NewViewerAsync(portal);
        await using var topology = await session.OpenTopologyAsync<TopologyUpdate>();
        var stream = topology.Stream;

        var snapshot = await MeshHubTests.NextWithAsync(stream, u => u.Added.Any(e => e.Data.Id == TcpEdgeId));
        var tcp = Assert.Single(snapshot.Added, e => e.Data.Id == TcpEdgeId);
        Assert.Equal(("edges", "tcp open", "ver:default/web/v1", "ver:default/db/v1"), (tcp.Group, tcp.Classes, tcp.Data.Source, tcp.Data.Target));
        Assert.Equal("TCP · 3 open · 0.5 conn/s · 12.4 kB/s", tcp.Data.Label);
        // The HTTP edge between the same versions stays its own element.
        Assert.Contains(snapshot.Added, e => e.Data.Id == "edge:default/web/v1->default/db/v1" && !e.Classes.Contains("tcp"));

        // Connections refused by the destination's policy: marked in place.
        live.Apply(MeshHubTests.ControlPlane, Signals(full: false, Tcp(active: 0, connectionsPerSecond: 0, bytesPerSecond: 0, denied: 2)));
        var refused = await MeshHubTests.NextWithAsync(stream, u => u.Changed.Any(c => c.Id == TcpEdgeId));
        Assert.Equal(("TCP · 0 open · 0 conn/s · 0 B/s · 2 refused", "tcp open refused"),
            (refused.Changed.Single(c => c.Id == TcpEdgeId).Label, refused.Changed.Single(c => c.Id == TcpEdgeId).Classes));

        // Traffic stopped: the rates at zero, the edge idle.
        live.Apply(MeshHubTests.ControlPlane, Signals(full: false, Tcp(active: 0, connectionsPerSecond: 0, bytesPerSecond: 0)));
        var idle = await MeshHubTests.NextWithAsync(stream, u => u.Changed.Any(c => c.Id == TcpEdgeId));
        Assert.Equal(("TCP · idle", "tcp idle"), (idle.Changed.Single(c => c.Id == TcpEdgeId).Label, idle.Changed.Single(c => c.Id == TcpEdgeId).Classes));

        // No longer in the control plane's complete set: removed.
        live.Apply(MeshHubTests.ControlPlane, Signals(full: false, tcp: null));
        var gone = await MeshHubTests.NextWithAsync(stream, u => u.Removed.Contains(TcpEdgeId));
        Assert.DoesNotContain("edge:default/web/v1->default/db/v1", gone.Removed);
    }
}
