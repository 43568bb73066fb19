using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Meshwork.Testing.Tcp;
using Meshwork.Testing.Waiting;
using static Meshwork.Testing.Metrics.PrometheusSamples;

namespace Meshwork.Proxy.Tests.L4;

/// <summary>
/// connectionPool.tcpIdleTimeout through real sidecar processes (Envoy tcp_proxy idle_timeout semantics): a relayed
/// connection with no bytes either way for the timeout is closed on both sides by whichever sidecar holds the short
/// timeout, and counted; one that keeps sending stays open.
/// </summary>
[Collection(L4MeshCollection.Name)]
public sealed class TcpIdleTimeoutTests(L4MeshFixture mesh)
{
    private static readonly string OutboundEdge =
        $"direction=\"outbound\",source_service=\"web\",destination_service=\"echo\",destination_version=\"v1\",route=\"{Regex.Escape(L4MeshFixture.RouteName)}\"";
    private const string InboundEdge = "direction=\"inbound\",source_service=\"web\",destination_service=\"echo\",destination_version=\"v1\",route=\"\"";

    [Fact]
    public async Task IdleConnection_IsClosedByTheCallersSidecar_UnderTheDestinationsTcpIdleTimeout_AndCounted()
    {
        var before = IdleClosed(await mesh.Web.MetricsAsync(), OutboundEdge);
        var beforeInStats = await TcpStatsEntries.CountAsync(mesh.Web, "outbound", "v1", "idleClosed");
        await mesh.Web.PushAsync(mesh.WebSnapshot(v1Weight: 100, new() { TcpIdleTimeout = TimeSpan.FromSeconds(1) }));
        try
        {
            await using var connection = await OpenAsync();
            Assert.Equal("v1", await connection.ReadLineAsync());
            Assert.Equal([1, 2, 3], await connection.EchoAsync([1, 2, 3]));
            // Silent both ways from here: the web sidecar closes the client's side (and the upstream one) on its own.
            Assert.Equal(0, await connection.WaitUntilClosedAsync());
            await Eventually.HoldsAsync(async () => IdleClosed(await mesh.Web.MetricsAsync(), OutboundEdge) >= before + 1
                    && await TcpStatsEntries.CountAsync(mesh.Web, "outbound", "v1", "idleClosed") >= beforeInStats + 1,
                "the web sidecar counts the connection it closed as idle_timeout (Prometheus and /stats)", L4MeshFixture.Patience);
        }
        finally
        {
            await mesh.Web.PushAsync(mesh.WebSnapshot(L4MeshFixture.V1Weight));
        }
    }

    [Fact]
    public async Task IdleConnection_IsClosedByTheDestinationSidecar_UnderItsOwnServicesTcpIdleTimeout_AndCounted()
    {
        var before = IdleClosed(await mesh.SidecarV1.MetricsAsync(), InboundEdge);
        var beforeInStats = await TcpStatsEntries.CountAsync(mesh.SidecarV1, "inbound", "v1", "idleClosed");
        // Only echo v1's sidecar has the short timeout; the caller's keeps the default hour.
        await mesh.SidecarV1.PushAsync(mesh.EchoSnapshot("v1", new() { TcpIdleTimeout = TimeSpan.FromSeconds(1) }));
        await mesh.Web.PushAsync(mesh.WebSnapshot(v1Weight: 100));
        try
        {
            await using var connection = await OpenAsync();
            Assert.Equal("v1", await connection.ReadLineAsync());
            // The destination sidecar closes the relay; the caller's sidecar passes the close on to the client.
            Assert.Equal(0, await connection.WaitUntilClosedAsync());
            await Eventually.HoldsAsync(async () => IdleClosed(await mesh.SidecarV1.MetricsAsync(), InboundEdge) >= before + 1
                    && await TcpStatsEntries.CountAsync(mesh.SidecarV1, "inbound", "v1", "idleClosed") >= beforeInStats + 1,
                "the destination sidecar counts the connection it closed as idle_timeout (Prometheus and /stats)", L4MeshFixture.Patience);
        }
        finally
        {
            await mesh.SidecarV1.PushAsync(mesh.EchoSnapshot("v1"));
            await mesh.Web.PushAsync(mesh.WebSnapshot(L4MeshFixture.V1Weight));
        }
    }

    [Fact]
    public async Task ConnectionSendingMoreOftenThanTheTimeout_StaysOpenPastSeveralTimeouts_ThenClosesOnceSilent()
    {
        // 3 s with a message every 100 ms: only a stall of nearly 3 s on this machine could look idle to the proxy.
        var timeout = TimeSpan.FromSeconds(3);
        await mesh.Web.PushAsync(mesh.WebSnapshot(v1Weight: 100, new() { TcpIdleTimeout = timeout }));
        try
        {
            await using var connection = await OpenAsync();
            Assert.Equal("v1", await connection.ReadLineAsync());
            var open = Stopwatch.StartNew();
            var messages = 0;
            while (open.Elapsed < 4 * timeout)
            {
                Assert.Equal([(byte)messages], await connection.EchoAsync([(byte)messages]));
                messages++;
                await Task.Delay(100);
            }
            // The same connection was subject to the timeout all along: silence now ends it.
            Assert.Equal(0, await connection.WaitUntilClosedAsync());
        }
        finally
        {
            await mesh.Web.PushAsync(mesh.WebSnapshot(L4MeshFixture.V1Weight));
        }
    }

    private Task<TcpTestConnection> OpenAsync() => TcpTestConnection.OpenAsync(IPAddress.Loopback, mesh.RoutePort);

    private static double IdleClosed(string metrics, string edge) => Sum(metrics, "meshwork_proxy_tcp_closed_total", edge + ",reason=\"idle_timeout\"");
}
