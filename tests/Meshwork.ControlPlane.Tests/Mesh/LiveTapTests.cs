using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Meshwork.ControlPlane.Tap;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Status;
using Meshwork.Protocol.Tap;
using Meshwork.Testing.Waiting;
using Xunit.Abstractions;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>The live tap end to end: real control plane, real sidecars, real HTTP through two proxies over mTLS.</summary>
[Collection(MeshCollection.Name)]
public sealed class LiveTapTests(MeshFixture mesh, ITestOutputHelper output) : IClassFixture<MeshFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string Secret = "s3cr3t-value";

    [Fact]
    public async Task Tap_RequestsThroughTheMesh_ShowMethodPathStatusAndVersions_NeverHeadersOrQuery()
    {
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        using var client = mesh.Web.OutboundClient();
        await MeshFixture.WaitForServedByAsync(client, "orders-v1-a", Generous);
        await using var tap = new TapClient(mesh.Channel, "orders");
        await WaitTappingAsync(tap);

        RequestSample? get = null, post = null;
        await Eventually.HoldsAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://orders/items/42?token={Secret}&page=2");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Secret);
            request.Headers.Add("traceparent", $"00-{TraceId}-00f067aa0ba902b7-01");
            request.Headers.Add("Cookie", $"session={Secret}");
            (await client.SendAsync(request)).EnsureSuccessStatusCode();
            (await client.PostAsync($"http://orders/orders?apiKey={Secret}", new StringContent(Secret))).EnsureSuccessStatusCode();
            get = tap.Samples.FirstOrDefault(s => s.Path == "/items/42");
            post = tap.Samples.FirstOrDefault(s => s.Path == "/orders");
            return get is not null && post is not null;
        }, "both requests in the tap", Generous);

        Assert.Equal("GET", get!.Method);
        Assert.Equal(200, get.Status);
        Assert.Equal(("orders", "default", "v1"), (get.DestinationService, get.DestinationNamespace, get.DestinationVersion));
        Assert.Equal(("web", "default"), (get.SourceService, get.SourceNamespace));
        Assert.Equal(TraceId, get.TraceId);
        Assert.True(get.LatencyMicros > 0, $"latency {get.LatencyMicros} µs");
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(get.AtUnixMs), DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(("POST", 200, "v1"), (post!.Method, post.Status, post.DestinationVersion));
        // Nothing of the query, the Authorization or Cookie header or the body travels, in any field.
        foreach (var sample in tap.Samples)
            Assert.DoesNotContain(Secret, JsonFormatter.Default.Format(sample));
    }

    [Fact]
    public async Task Tap_LastWatcherLeaves_ProxiesStopTapping_WhileAnotherWatcherKeepsItOn()
    {
        var first = new TapClient(mesh.Channel, "orders");
        try
        {
            await WaitTappingAsync(first);
            await using (var second = new TapClient(mesh.Channel, "orders"))
            {
                await WaitTappingAsync(second);
                await first.DisposeAsync();
                // The tap is shared: one watcher leaving keeps it on for the other, with the same id.
                var tapId = (await mesh.OrdersV1.TapStatsAsync()).GetProperty("tapId").GetString();
                await Task.Delay(TimeSpan.FromSeconds(1));
                var stillOn = await mesh.OrdersV1.TapStatsAsync();
                Assert.True(stillOn.GetProperty("active").GetBoolean());
                Assert.Equal(tapId, stillOn.GetProperty("tapId").GetString());
            }
            // Long before the tap's 10 s time to live would end it: the control plane said stop.
            var stopwatch = Stopwatch.StartNew();
            foreach (var proxy in new[] { mesh.OrdersV1, mesh.OrdersV2 })
                await Eventually.HoldsAsync(async () => !(await proxy.TapStatsAsync()).GetProperty("active").GetBoolean(), $"{proxy.Id} stopped tapping", Generous);
            output.WriteLine($"proxies stopped tapping {stopwatch.ElapsedMilliseconds} ms after the last watcher left");
            Assert.False((await mesh.Web.TapStatsAsync()).GetProperty("active").GetBoolean());
        }
        finally
        {
            await first.DisposeAsync();
        }
    }

    [Fact]
    public async Task Tap_TrafficFarAboveTheCap_SamplesStayWithinTheRateLimit()
    {
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        using (var probe = mesh.Web.OutboundClient()) await MeshFixture.WaitForServedByAsync(probe, "orders-v1-a", Generous);
        await using var tap = new TapClient(mesh.Channel, "orders");
        await WaitTappingAsync(tap);

        await using var load = new LoadLoop(mesh.Web.OutboundClient, "http://orders/load", concurrency: 8);
        var before = await mesh.OrdersV1.TapStatsAsync();
        var stopwatch = Stopwatch.StartNew();
        // Enough traffic that the bucket turns most of it away, whatever this machine's speed.
        await Eventually.HoldsAsync(async () => (await mesh.OrdersV1.TapStatsAsync()).GetProperty("rateLimited").GetInt64()
            - before.GetProperty("rateLimited").GetInt64() > 500, "traffic far above the tap's cap", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var after = await mesh.OrdersV1.TapStatsAsync();
        var elapsed = stopwatch.Elapsed;
        await load.DisposeAsync();

        // The bucket holds one second's worth and refills at the cap: over any span, cap × (span + 1) at most.
        // The span measured here contains the proxy's, so the bound only gets looser on a slow machine.
        var sampled = after.GetProperty("sampled").GetInt64() - before.GetProperty("sampled").GetInt64();
        var bound = TapLimits.MaxSamplesPerSecond * (elapsed.TotalSeconds + 1);
        output.WriteLine($"{load.Requests} requests in {elapsed.TotalSeconds:0.0} s; the proxy sampled {sampled} (bound {bound:0}), the tap delivered {tap.Samples.Count}, dropped {tap.Dropped}");
        Assert.InRange(sampled, 1, (long)bound);
        await Eventually.HoldsAsync(() => Task.FromResult(tap.Samples.Count(s => s.Path == "/load") > 0), "load samples delivered", Generous);
        Assert.True(tap.Samples.Count(s => s.Path == "/load") <= TapLimits.MaxSamplesPerSecond * (stopwatch.Elapsed.TotalSeconds + 5));
    }

    [Fact]
    public async Task Tap_WithoutTheStatusToken_OrForAnInvalidName_IsRefused()
    {
        var client = new MeshStatus.MeshStatusClient(mesh.Channel);
        using (var anonymous = client.Tap(new TapRequest { Service = "orders" }))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => anonymous.ResponseStream.MoveNext());
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }
        using var invalid = client.Tap(new TapRequest { Service = "Orders_1" }, StatusStreamAuthentication.Headers(ControlPlaneProcess.StatusToken));
        var error = await Assert.ThrowsAsync<RpcException>(() => invalid.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("service 'Orders_1' is not a valid name", error.Status.Detail);
    }

    /// <summary>Both orders sidecars were asked and say so on their admin port.</summary>
    private async Task WaitTappingAsync(TapClient tap)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(tap.Proxies == 2 || tap.Completion.IsCompleted), "the control plane asked both orders proxies", Generous);
        if (tap.Completion.IsFaulted) await tap.Completion;
        foreach (var proxy in new[] { mesh.OrdersV1, mesh.OrdersV2 })
            await Eventually.HoldsAsync(async () => (await proxy.TapStatsAsync()).GetProperty("active").GetBoolean(), $"{proxy.Id} tapping", Generous);
    }
}
