using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Model.Resources;
using Meshwork.Protocol.Status;
using Meshwork.Testing.Processes;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>
/// TCP route traffic in the control plane's status stream: real sidecars relay real TCP connections (HTTP/1.1 bytes to
/// the orders app through a TcpRoute on the web sidecar), report them in their stats, and the control plane shows the
/// TCP edge web v1 -> orders v1 with its connections and bytes, bytes growing while a connection stays open, and the
/// rates back at zero once traffic stops.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class TcpTrafficSignalsTests(MeshFixture mesh) : IClassFixture<MeshFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TcpEdge_ShowsConnectionsAndBytes_GrowingWhileOpen_AndDropsToZeroAfterTrafficStops()
    {
        var port = FreePort.Next();
        await mesh.ApplyAsync(new TcpRoute
        {
            Metadata = new ResourceMetadata { Name = "orders-tcp" },
            Service = "orders",
            Port = port,
            Rules = [new TcpRouteRule { BackendRefs = [new BackendRef { Service = "orders", Version = "v1", Weight = 100 }] }],
        });
        await using var status = new StatusWatcher(mesh.ControlPlane);
        var relayed = new List<CountingConnection>();

        // The first connection that gets a response: the web sidecar bound the route's port and relays to orders v1.
        var held = await OpenRelayedAsync(port, relayed);

        // Bytes of a connection that stays open reach the control plane while it is open.
        await WaitForEdgeAsync(status, e => e.Active == 1 && e.ReceivedBytesTotal == Received(relayed) && e.SentBytesTotal == Sent(relayed),
            "the open connection's bytes, with it active", relayed);
        var before = Edge(status)!.ReceivedBytesTotal;
        for (var i = 0; i < 20; i++) await held.GetAsync();
        await WaitForEdgeAsync(status, e => e.Active == 1 && e.ReceivedBytesTotal == Received(relayed) && e.SentBytesTotal == Sent(relayed),
            "the bytes grown on the same open connection", relayed);
        Assert.True(Edge(status)!.ReceivedBytesTotal > before);

        // More connections, each closed after one exchange; then the held one closes too.
        for (var i = 0; i < 4; i++)
        {
            await using var connection = await OpenRelayedAsync(port, relayed);
        }
        await held.DisposeAsync();
        await WaitForEdgeAsync(status, e => e.Active == 0 && e.OpenedTotal == (ulong)relayed.Count && e.Closed > 0
                && e.ReceivedBytesTotal == Received(relayed) && e.SentBytesTotal == Sent(relayed) && e.ConnectFailures == 0,
            "every connection opened and closed, every byte counted", relayed);

        // Traffic stopped: the edge stays in the complete set with its rates at zero.
        await WaitForEdgeAsync(status, e => e.Active == 0 && e.ConnectionsPerSecond == 0 && e.ReceivedBytesPerSecond == 0 && e.SentBytesPerSecond == 0,
            "the edge's rates back at zero", relayed);
        Assert.Equal((ulong)relayed.Count, Edge(status)!.OpenedTotal);
    }

    private static TcpEdgeSignals? Edge(StatusWatcher status) => status.Feed.TcpEdges.SingleOrDefault(e =>
        e.SourceService == "web" && e.SourceVersion == "v1" && e.DestinationService == "orders" && e.DestinationVersion == "v1"
        && e.SourceNamespace == "default" && e.DestinationNamespace == "default");

    private static async Task WaitForEdgeAsync(StatusWatcher status, Func<TcpEdgeSignals, bool> condition, string what, List<CountingConnection> relayed)
    {
        try
        {
            await status.WaitUntilAsync(s => Edge(s) is { } edge && condition(edge), Generous, what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; client: {relayed.Count} connection(s), {Received(relayed)} bytes sent, {Sent(relayed)} read; " +
                                       $"status: {Edge(status)}", ex);
        }
    }

    private static ulong Received(List<CountingConnection> relayed) => (ulong)relayed.Sum(c => c.Written);

    private static ulong Sent(List<CountingConnection> relayed) => (ulong)relayed.Sum(c => c.Read);

    private Task<CountingConnection> OpenRelayedAsync(int port, List<CountingConnection> relayed) =>
        CountingConnection.OpenRelayedAsync(mesh.Web.TcpBindAddress, port, relayed, Generous);
}
