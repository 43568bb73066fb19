using System.Net;
using System.Text.RegularExpressions;
using Meshwork.Testing.Tcp;
using Meshwork.Testing.Waiting;
using static Meshwork.Testing.Metrics.PrometheusSamples;

namespace Meshwork.Proxy.Tests.L4;

/// <summary>TcpRoute end to end through real sidecar processes: weighted picks per connection, mTLS between sidecars, L4 policy, metrics.</summary>
[Collection(L4MeshCollection.Name)]
public sealed class TcpRouteTests(L4MeshFixture mesh)
{

    [Fact]
    public async Task Connections_SpreadByWeight_AndBytesArriveIntactBothWays()
    {
        var counts = new Dictionary<string, int> { ["v1"] = 0, ["v2"] = 0 };
        for (var i = 0; i < 100; i++)
        {
            await using var connection = await OpenAsync(IPAddress.Loopback);
            var version = await connection.ReadLineAsync();
            counts[version]++;
            // Every connection echoes a payload; some big enough to take many reads and writes on each hop.
            var payload = RandomNumberGeneratorBytes(i % 10 == 0 ? 1 << 20 : 4096);
            Assert.Equal(payload, await connection.EchoAsync(payload));
        }
        // Binomial(100, 0.8): 80 ± 4 (one standard deviation); 62..95 is over four either way.
        Assert.InRange(counts["v1"], 62, 95);
        Assert.Equal(100, counts["v1"] + counts["v2"]);
    }

    [Fact]
    public async Task InboundSidecar_SeesTheCallersMtlsIdentity_AndBothSidesCountConnectionsAndBytes()
    {
        var payload = RandomNumberGeneratorBytes(10_000);
        for (var i = 0; i < 5; i++)
        {
            await using var connection = await OpenAsync(IPAddress.Loopback);
            await connection.ReadLineAsync();
            Assert.Equal(payload, await connection.EchoAsync(payload));
        }
        await Eventually.HoldsAsync(async () =>
        {
            var outbound = await mesh.Web.MetricsAsync();
            var inbound = await mesh.SidecarV1.MetricsAsync() + await mesh.SidecarV2.MetricsAsync();
            var edge = $"direction=\"outbound\",source_service=\"web\",destination_service=\"echo\",destination_version=\"v[12]\",route=\"{Regex.Escape(L4MeshFixture.RouteName)}\"";
            return Sum(outbound, "meshwork_proxy_tcp_connections_total", edge) >= 5
                && Sum(outbound, "meshwork_proxy_tcp_received_bytes_total", edge) >= 5 * payload.Length
                && Sum(outbound, "meshwork_proxy_tcp_sent_bytes_total", edge) >= 5 * payload.Length
                && Sum(outbound, "meshwork_proxy_tcp_connection_duration_seconds_count", edge) >= 5
                // The destination knows the caller only from its client certificate: the hop was mTLS.
                && Sum(inbound, "meshwork_proxy_tcp_connections_total", "direction=\"inbound\",source_service=\"web\",destination_service=\"echo\",destination_version=\"v[12]\",route=\"\"") >= 5;
        }, "both sidecars count the relayed connections and bytes, the inbound one by the caller's identity", L4MeshFixture.Patience);
    }

    [Fact]
    public async Task DenyPolicyForTheCallersIdentity_ClosesTheConnection_AndIsCounted()
    {
        await using var connection = await OpenAsync(IPAddress.Parse("127.0.0.4"));
        // The app's greeting never comes: the destination sidecar closes the relay before connecting to it.
        Assert.Equal(0, await connection.ReadToEndCountAsync());
        await Eventually.HoldsAsync(async () =>
        {
            var inbound = await mesh.SidecarV1.MetricsAsync() + await mesh.SidecarV2.MetricsAsync();
            return Sum(inbound, "meshwork_proxy_tcp_refused_total", "direction=\"inbound\",source_service=\"intruder\",destination_service=\"echo\",destination_version=\"v[12]\",route=\"\",reason=\"denied\"") >= 1;
        }, "the denied connection is counted", L4MeshFixture.Patience);
    }

    [Fact]
    public async Task RouteChange_AppliesToNewConnections_AndKeepsEstablishedOnes()
    {
        var established = await OpenUntilAsync("v1");
        try
        {
            await mesh.Web.PushAsync(mesh.WebSnapshot(v1Weight: 0));
            var payload = RandomNumberGeneratorBytes(4096);
            Assert.Equal(payload, await established.EchoAsync(payload));
            for (var i = 0; i < 10; i++)
            {
                await using var connection = await OpenAsync(IPAddress.Loopback);
                Assert.Equal("v2", await connection.ReadLineAsync());
            }
        }
        finally
        {
            await established.DisposeAsync();
            await mesh.Web.PushAsync(mesh.WebSnapshot(L4MeshFixture.V1Weight));
        }
    }

    [Fact]
    public async Task ConnectionsBeyondTheClustersMaxConnections_AreClosedAtOnce_CountedAsOverflow_AndASlotFreesWhenOneEnds()
    {
        await mesh.Web.PushAsync(mesh.WebSnapshot(v1Weight: 100, new() { MaxConnections = 2 }));
        var held = new List<TcpTestConnection>();
        try
        {
            // Two relayed connections to v1 take both slots (each has its greeting, so its relay is up).
            for (var i = 0; i < 2; i++)
            {
                held.Add(await OpenAsync(IPAddress.Loopback));
                Assert.Equal("v1", await held[^1].ReadLineAsync());
            }

            await using (var third = await OpenAsync(IPAddress.Loopback))
                Assert.Equal(0, await third.ReadToEndCountAsync());
            await Eventually.HoldsAsync(async () => Sum(await mesh.Web.MetricsAsync(), "meshwork_proxy_tcp_refused_total",
                    $"direction=\"outbound\",source_service=\"web\",destination_service=\"echo\",destination_version=\"v1\",route=\"{Regex.Escape(L4MeshFixture.RouteName)}\",reason=\"overflow\"") >= 1
                    && await TcpStatsEntries.CountAsync(mesh.Web, "outbound", "v1", "overflow") >= 1,
                "the refused connection is counted as overflow (Prometheus and /stats)", L4MeshFixture.Patience);

            // One ends: its slot is given back once the relay has closed both sides, and a new connection is relayed.
            await held[0].DisposeAsync();
            held.RemoveAt(0);
            await Eventually.HoldsAsync(async () =>
            {
                await using var next = await OpenAsync(IPAddress.Loopback);
                return await next.ReadLineAsync() == "v1";
            }, "a connection is relayed again once a slot is free", L4MeshFixture.Patience);
            var payload = RandomNumberGeneratorBytes(4096);
            Assert.Equal(payload, await held[0].EchoAsync(payload));
        }
        finally
        {
            foreach (var connection in held) await connection.DisposeAsync();
            await mesh.Web.PushAsync(mesh.WebSnapshot(L4MeshFixture.V1Weight));
        }
    }

    [Fact]
    public async Task Stats_CountEachEdgesConnections_AndTheirBytesWhileTheyAreOpen()
    {
        await mesh.Web.PushAsync(mesh.WebSnapshot(v1Weight: 100));
        try
        {
            async Task<long> Outbound(string count) => await TcpStatsEntries.CountAsync(mesh.Web, "outbound", "v1", count);
            async Task<long> Inbound(string count) => await TcpStatsEntries.CountAsync(mesh.SidecarV1, "inbound", "v1", count);
            async Task<double> PrometheusReceived() => Sum(await mesh.Web.MetricsAsync(), "meshwork_proxy_tcp_received_bytes_total",
                $"direction=\"outbound\",source_service=\"web\",destination_service=\"echo\",destination_version=\"v1\",route=\"{Regex.Escape(L4MeshFixture.RouteName)}\"");
            var (connections, received, sent) = (await Outbound("connections"), await Outbound("receivedBytes"), await Outbound("sentBytes"));
            var (inboundConnections, inboundReceived) = (await Inbound("connections"), await Inbound("receivedBytes"));
            var prometheusReceived = await PrometheusReceived();
            var payload = RandomNumberGeneratorBytes(10_000);
            await using var connection = await OpenAsync(IPAddress.Loopback);
            Assert.Equal("v1", await connection.ReadLineAsync());
            Assert.Equal(payload, await connection.EchoAsync(payload));
            // "v1\n" and the echo went back to the client; its payload went to the app; the connection is still open.
            await Eventually.HoldsAsync(async () => await Outbound("connections") >= connections + 1 && await Outbound("active") >= 1
                    && await Inbound("connections") >= inboundConnections + 1 && await Inbound("active") >= 1
                    && await Outbound("receivedBytes") >= received + payload.Length && await Outbound("sentBytes") >= sent + payload.Length + 3
                    && await Inbound("receivedBytes") >= inboundReceived + payload.Length
                    && await PrometheusReceived() >= prometheusReceived + payload.Length,
                "both sidecars' /stats (and Prometheus) show the connection active and its bytes while it is open", L4MeshFixture.Patience);
        }
        finally
        {
            await mesh.Web.PushAsync(mesh.WebSnapshot(L4MeshFixture.V1Weight));
        }
    }

    private async Task<TcpTestConnection> OpenUntilAsync(string version)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var connection = await OpenAsync(IPAddress.Loopback);
            if (await connection.ReadLineAsync() == version)
                return connection;
            await connection.DisposeAsync();
        }
        throw new InvalidOperationException($"no connection reached {version} in 200 attempts");
    }

    private Task<TcpTestConnection> OpenAsync(IPAddress sidecar) => TcpTestConnection.OpenAsync(sidecar, mesh.RoutePort);

    private static byte[] RandomNumberGeneratorBytes(int length) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);
}
