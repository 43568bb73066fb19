using Microsoft.Extensions.Time.Testing;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Tap;
using Meshwork.Proxy.Telemetry;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Tests.Telemetry;

/// <summary>In-process: the tap's token bucket, buffer bound, expiry and what a sample carries.</summary>
public sealed class RequestTapTests
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static TapControl Start(string id = "tap-1", int rate = 5, int ttlMs = 10_000) => new() { TapId = id, MaxSamplesPerSecond = rate, TtlMs = ttlMs };

    private static DefaultHttpContext Request(string path = "/items/1", string query = "?token=secret", string? traceParent = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query);
        context.Request.Headers.Authorization = "Bearer secret";
        if (traceParent is not null) context.Request.Headers.TraceParent = traceParent;
        return context;
    }

    private void Offer(RequestTap tap, HttpContext context) =>
        tap.Offer(context, "web", "default", "orders", "default", "v1", 200, TimeSpan.FromMilliseconds(3));

    [Fact]
    public void Offer_WithoutATap_SamplesNothing()
    {
        var tap = new RequestTap(clock);
        Offer(tap, Request());
        Assert.Null(tap.Drain());
        Assert.Equal((0, 0, 0), (tap.Sampled, tap.RateLimited, tap.Dropped));
    }

    [Fact]
    public void Offer_CarriesPathWithoutQuery_TraceId_NoHeaders()
    {
        var tap = new RequestTap(clock);
        tap.Apply(Start());
        Offer(tap, Request(traceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        var sample = Assert.Single(tap.Drain()!.Samples);
        Assert.Equal(("GET", "/items/1", 200, 3000L), (sample.Method, sample.Path, sample.Status, sample.LatencyMicros));
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", sample.TraceId);
        Assert.DoesNotContain("secret", Google.Protobuf.JsonFormatter.Default.Format(sample));
    }

    [Fact]
    public void Offer_AboveTheRate_IsTurnedAwayUntilTheBucketRefills()
    {
        var tap = new RequestTap(clock);
        tap.Apply(Start(rate: 5));
        for (var i = 0; i < 50; i++) Offer(tap, Request());
        Assert.Equal((5, 45), (tap.Sampled, tap.RateLimited));

        clock.Advance(TimeSpan.FromMilliseconds(400));
        for (var i = 0; i < 50; i++) Offer(tap, Request());
        Assert.Equal(7, tap.Sampled);
    }

    [Fact]
    public void Apply_AskingAboveTheProxysCap_GetsTheCap()
    {
        var tap = new RequestTap(clock);
        tap.Apply(Start(rate: 10_000));
        Assert.Equal(TapLimits.MaxSamplesPerSecond, tap.Current!.MaxSamplesPerSecond);
    }

    [Fact]
    public void Offer_WhenTheBufferIsFull_DropsAndCounts_TheNextBatchSaysSo()
    {
        var tap = new RequestTap(clock);
        tap.Apply(Start(rate: 20));
        // Never drained: the bucket refills over 10 s while the buffer holds only its capacity.
        for (var second = 0; second < 10; second++)
        {
            for (var i = 0; i < 20; i++) Offer(tap, Request());
            clock.Advance(TimeSpan.FromSeconds(1));
            tap.Apply(Start(rate: 20));
        }
        Assert.Equal(RequestTap.BufferCapacity, tap.Sampled);
        var batch = tap.Drain()!;
        Assert.Equal(RequestTap.BufferCapacity, batch.Samples.Count);
        Assert.Equal((ulong)(200 - RequestTap.BufferCapacity), batch.Dropped);
        Assert.Equal(0UL, tap.Drain()?.Dropped ?? 0);
    }

    [Fact]
    public void Tap_NotRenewedWithinItsTimeToLive_EndsByItself()
    {
        var tap = new RequestTap(clock);
        tap.Apply(Start(ttlMs: 5000));
        clock.Advance(TimeSpan.FromSeconds(4));
        tap.Apply(Start(ttlMs: 5000));
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.NotNull(tap.Current);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(tap.Current);
        Offer(tap, Request());
        Assert.Equal(0, tap.Sampled);
    }

    [Fact]
    public void Stop_EndsOnlyTheNamedTap()
    {
        var tap = new RequestTap(clock);
        tap.Apply(Start("tap-2"));
        tap.Apply(new TapControl { TapId = "tap-1", Stop = true });
        Assert.Equal("tap-2", tap.Current!.TapId);
        tap.Apply(new TapControl { TapId = "tap-2", Stop = true });
        Assert.Null(tap.Current);
    }

    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "")]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "")]
    [InlineData("garbage", "")]
    [InlineData(null, "")]
    public void TraceId_TakesOnlyAWellFormedW3cTraceId(string? traceParent, string expected) =>
        Assert.Equal(expected, RequestTap.TraceId(traceParent));
}
