using System.Net;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Waiting;

namespace Meshwork.Proxy.Tests.Resilience;

/// <summary>Envoy's max_connections counts the whole cluster, not each endpoint.</summary>
public sealed class ClusterConnectionLimitTests
{
    private const string Cluster = "pool.default";

    [Fact]
    public async Task MaxConnections_TwoEndpoints_LimitHoldsForTheClusterAndRequestsWaitForAConnection()
    {
        await using var a = await ScriptedBackend.StartAsync("pool-a");
        await using var b = await ScriptedBackend.StartAsync("pool-b");
        // Limit 2 with two endpoints: each endpoint's first connection brings the cluster to its
        // limit, so a second connection to either endpoint is over it. (With limit 1 the per-endpoint
        // limit of 1 would already stop a second connection, so it could not show the cluster limit.)
        await using var sidecar = await PlainSidecar.StartAsync("proxy-pool",
        [
            PlainSidecar.Service("pool"),
            new ResiliencePolicy
            {
                Metadata = new ResourceMetadata { Name = "pool" },
                Service = "pool",
                ConnectionPool = new ConnectionPoolSettings { MaxConnections = 2, MaxPendingRequests = 100, MaxRequests = 100 },
                LoadBalancer = new LoadBalancerSettings { Policy = LoadBalancingPolicy.ConsistentHash, HashHeader = "x-key" },
            },
        ], ("pool", a), ("pool", b));

        // One key per endpoint; finding them opens one connection to each (the cluster is now full).
        var keys = new Dictionary<string, string>();
        for (var i = 0; keys.Count < 2 && i < 64; i++)
        {
            using var response = await SendAsync(sidecar, $"k{i}");
            keys.TryAdd(response.Headers.GetValues("x-served-by").Single(), $"k{i}");
        }
        Assert.Equal(2, keys.Count);
        Assert.Equal(0, await OverflowsAsync(sidecar));

        a.Hold();
        var first = SendAsync(sidecar, keys["pool-a"]);
        await Eventually.HoldsAsync(() => Task.FromResult(a.InFlight == 1), "the first request in flight at endpoint a");
        // pool-a's only connection is busy: the next request to it needs a second connection, which
        // the cluster limit refuses (per endpoint it would be allowed), so it waits for a connection.
        var second = SendAsync(sidecar, keys["pool-a"]);
        await Eventually.HoldsAsync(async () => await OverflowsAsync(sidecar) == 1, "one overflow counted");
        Assert.Equal(1, a.InFlight);

        // The full cluster does not starve the other endpoint: its idle connection serves at once.
        using (var other = await SendAsync(sidecar, keys["pool-b"]))
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);

        a.Release();
        using (var response = await first)
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using (var response = await second)
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Both requests to pool-a travelled on its one connection.
        Assert.Single(a.Received.Select(r => r.ConnectionId).Distinct());
        Assert.Single(b.Received.Select(r => r.ConnectionId).Distinct());
    }

    private static async Task<HttpResponseMessage> SendAsync(PlainSidecar sidecar, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://pool/work");
        request.Headers.Add("x-key", key);
        return await sidecar.Client.SendAsync(request);
    }

    private static async Task<long> OverflowsAsync(PlainSidecar sidecar)
    {
        var stats = await sidecar.Proxy.StatsAsync();
        return stats.GetProperty("clusters").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == Cluster).GetProperty("overflows").GetInt64();
    }
}
