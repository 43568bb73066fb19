using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;

namespace Meshwork.Proxy.Tests.Grpc;

/// <summary>
/// A real gRPC client and server through two real sidecars (<see cref="GrpcMeshFixture"/>): h2c
/// from the app, HTTP/2 over mTLS between the sidecars, h2c to the app; trailers, statuses in the
/// stats, UNAVAILABLE retried, and grpc-timeout as the call's deadline (DEADLINE_EXCEEDED).
/// </summary>
public sealed class GrpcTests(GrpcMeshFixture fixture) : IClassFixture<GrpcMeshFixture>, IDisposable
{
    private readonly GrpcChannel channel = fixture.Channel();

    private Greeter.GreeterClient client => new(channel);

    public void Dispose() => channel.Dispose();

    [Fact]
    public async Task Unary_ThroughBothSidecars_ReplyAndTrailerArrive_OverHttp2ToTheApp()
    {
        using var call = client.SayHelloAsync(new HelloRequest { Name = "unary" });

        var reply = await call.ResponseAsync;

        Assert.Equal("hello unary", reply.Message);
        Assert.Equal("HTTP/2", reply.Protocol);
        Assert.Equal("unary:unary", call.GetTrailers().GetValue(GrpcBackend.TrailerName));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Unary_OverTlsToTheGateway_ReachesTheApp_WithItsTrailer()
    {
        using var gateway = fixture.GatewayChannel();
        using var call = new Greeter.GreeterClient(gateway).SayHelloAsync(new HelloRequest { Name = "edge" });

        var reply = await call.ResponseAsync;

        Assert.Equal(("hello edge", "HTTP/2"), (reply.Message, reply.Protocol));
        Assert.Equal("unary:edge", call.GetTrailers().GetValue(GrpcBackend.TrailerName));
    }

    [Fact]
    public async Task ServerStreaming_EveryMessageThenTheTrailerArrive()
    {
        using var call = client.SayHelloStream(new HelloRequest { Name = "stream", Count = 5 });

        var messages = new List<string>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
            messages.Add(reply.Message);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"hello stream #{i}"), messages);
        Assert.Equal("stream:stream", call.GetTrailers().GetValue(GrpcBackend.TrailerName));
    }

    [Fact]
    public async Task BidirectionalStream_OnARetryingCluster_IsNotHeldBack()
    {
        // The greeter's cluster retries, so the call's body is copied while it streams; a client that
        // waits for each answer before it sends more must still get every answer.
        using var call = client.Chat();
        for (var i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(new HelloRequest { Name = $"chat-{i}" });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal($"hello chat-{i}", call.ResponseStream.Current.Message);
        }
        await call.RequestStream.CompleteAsync();

        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Unavailable_Once_IsRetriedByTheCallersSidecar_AndSucceeds()
    {
        var retriesBefore = await RetriesAsync();

        var reply = await client.FlakyAsync(new HelloRequest { Name = "flaky-once", FailStatus = (int)StatusCode.Unavailable, FailTimes = 1 });

        Assert.Equal("hello flaky-once", reply.Message);
        Assert.Equal(2, fixture.Backend.Calls["flaky-once"]);
        Assert.True(await RetriesAsync() > retriesBefore);
    }

    [Fact]
    public async Task StatusNotRetried_ReachesTheClient_AfterOneCall()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.FlakyAsync(new HelloRequest { Name = "flaky-internal", FailStatus = (int)StatusCode.Internal, FailTimes = 5 }).ResponseAsync);

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal(1, fixture.Backend.Calls["flaky-internal"]);
    }

    [Fact]
    public async Task GrpcError_WithHttp200_CountsAsAFailure_WithItsStatus_InStatsAndMetrics()
    {
        for (var i = 0; i < 3; i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() =>
                client.FlakyAsync(new HelloRequest { Name = $"not-found-{i}", FailStatus = (int)StatusCode.NotFound, FailTimes = 1 }).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, error.StatusCode);
        }

        // Both sides record the status: the caller's outbound and the callee's inbound.
        foreach (var (proxy, direction) in new[] { (fixture.Caller, "outbound"), (fixture.Callee, "inbound") })
        {
            // Every call took the route's rule "all" (outbound) or reached the app (inbound): one entry each.
            var entry = Assert.Single(Traffic(await proxy.StatsAsync(), direction), t => t.GetProperty("grpcStatus").GetString() == "5");
            Assert.Equal("2xx", entry.GetProperty("statusClass").GetString());
            Assert.True(entry.GetProperty("requests").GetInt64() >= 3);
            Assert.Equal(entry.GetProperty("requests").GetInt64(), entry.GetProperty("failures").GetInt64());
        }
        var metrics = await fixture.Caller.MetricsAsync();
        Assert.Contains(metrics.Split('\n'), line =>
            line.StartsWith("meshwork_proxy_requests_total{", StringComparison.Ordinal) && line.Contains("destination_service=\"greeter\"") &&
            line.Contains("status_class=\"2xx\"") && line.Contains("grpc_status=\"5\""));
    }

    [Fact]
    public async Task SuccessfulCall_IsNotAFailure()
    {
        await client.SayHelloAsync(new HelloRequest { Name = "ok-stats" });

        var ok = Traffic(await fixture.Caller.StatsAsync(), "outbound").Where(t => t.GetProperty("grpcStatus").GetString() == "0").ToList();
        Assert.NotEmpty(ok);
        Assert.All(ok, entry => Assert.Equal(0, entry.GetProperty("failures").GetInt64()));
    }

    [Fact]
    public async Task GrpcTimeout_ShorterThanTheServersDelay_AnswersDeadlineExceeded_FromTheProxy()
    {
        var headers = new Metadata { { GrpcMeshFixture.TestTimeoutHeader, "300m" } };

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.SlowAsync(new HelloRequest { Name = "slow-deadline", DelayMs = 20_000 }, headers).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal("request", error.Trailers.GetValue("x-meshwork-timeout"));
        // A deadline error with HTTP 200 is a failure in the caller's stats.
        var deadline = Traffic(await fixture.Caller.StatsAsync(), "outbound").Where(t => t.GetProperty("grpcStatus").GetString() == "4").ToList();
        Assert.NotEmpty(deadline);
        Assert.All(deadline, entry => Assert.Equal(entry.GetProperty("requests").GetInt64(), entry.GetProperty("failures").GetInt64()));
    }

    [Fact]
    public async Task GrpcTimeout_LongerThanTheRouteTimeout_IsCappedByIt_AndTheAppIsToldSo()
    {
        var capped = new Metadata { { GrpcMeshFixture.TestTimeoutHeader, "60S" }, { "x-capped", "true" } };

        var reply = await client.SlowAsync(new HelloRequest { Name = "capped-fast", DelayMs = 0 }, capped);
        Assert.Equal($"{GrpcMeshFixture.CappedTimeout.TotalMilliseconds}m", reply.GrpcTimeout);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.SlowAsync(new HelloRequest { Name = "capped-slow", DelayMs = 20_000 }, capped).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task GrpcTimeout_WithinTheRouteTimeout_IsPassedOnUnchanged()
    {
        var reply = await client.SlowAsync(new HelloRequest { Name = "within", DelayMs = 0 }, new Metadata { { GrpcMeshFixture.TestTimeoutHeader, "20S" } });

        Assert.Equal("20S", reply.GrpcTimeout);
    }

    private static IEnumerable<JsonElement> Traffic(JsonElement stats, string direction) =>
        stats.GetProperty("traffic").EnumerateArray().Where(t =>
            t.GetProperty("direction").GetString() == direction && t.GetProperty("destination").GetString() == "greeter");

    private async Task<long> RetriesAsync() =>
        (await fixture.Caller.StatsAsync()).GetProperty("clusters").EnumerateArray()
            .Where(c => c.GetProperty("name").GetString()!.StartsWith("greeter", StringComparison.Ordinal))
            .Sum(c => c.GetProperty("retries").GetInt64());
}
