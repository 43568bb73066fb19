using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Tap;
using Meshwork.Testing.Waiting;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>
/// A proxy that lies in its tap samples against the real control plane: what breaks the rules never
/// reaches a watcher, the proxy is named in one warning event, and its stream and the tap go on.
/// </summary>
public sealed class TapSampleAdmissionTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static RequestSample Sample(string path, string service = "ledger") => new()
    {
        AtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        SourceService = "web",
        SourceNamespace = "default",
        DestinationService = service,
        DestinationNamespace = "default",
        DestinationVersion = "v1",
        Method = "GET",
        Path = path,
        Status = 200,
        LatencyMicros = 1500,
    };

    [Fact]
    public async Task HostileSamples_AreDroppedWithAnEvent_ValidOnesFromTheAskedTapAreRelayed_TheStreamStaysOpen()
    {
        await using var status = new StatusWatcher(fixture.ControlPlane);
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "ledger-tap-1", "ledger"));
        await using var tap = new TapClient(fixture.Channel, "ledger");
        var control = await Eventually.ValueAsync(() => proxy.LastTap, "the control plane asked the proxy to tap", Timeout);
        Assert.False(control.Stop);
        Assert.Equal(TapLimits.MaxSamplesPerSecond, control.MaxSamplesPerSecond);

        // Samples for a tap nobody asked this proxy for are dropped whole.
        var madeUp = new TapSamples { TapId = "not-the-tap", Samples = { Sample("/made-up") } };
        await proxy.SendAsync(new ProxyMessage { TapSamples = madeUp });
        var batch = new TapSamples
        {
            TapId = control.TapId,
            Samples =
            {
                Sample("/other-service", service: "orders"),
                Sample("/with?token=secret"),
                WithMethod(Sample("/bad-method"), "GET /x HTTP/1.1"),
                WithTraceId(Sample("/bad-trace"), "NOT-A-TRACE-ID"),
                Sample("/" + new string('a', 600)),
                Sample("/valid"),
            },
        };
        await proxy.SendAsync(new ProxyMessage { TapSamples = batch });

        await Eventually.HoldsAsync(() => Task.FromResult(tap.Samples.Any(s => s.Path == "/valid")), "the valid sample relayed", Timeout);
        await status.WaitUntilAsync(s => s.Events.Any(e => e.Kind == "TapSamplesRejected" && e.ProxyId == "ledger-tap-1"), Timeout, "a TapSamplesRejected event");
        var rejected = status.Events.First(e => e.Kind == "TapSamplesRejected");
        Assert.Contains("dropped 5 tap sample(s)", rejected.Message);
        Assert.Contains("is not the proxy's own 'default/ledger/v1'", rejected.Message);
        Assert.Equal(["/valid"], tap.Samples.Select(s => s.Path));
        Assert.Null(proxy.Failure);

        // The tap still runs for this proxy: the next good batch arrives too.
        await proxy.SendAsync(new ProxyMessage { TapSamples = new TapSamples { TapId = control.TapId, Samples = { Sample("/later") } } });
        await Eventually.HoldsAsync(() => Task.FromResult(tap.Samples.Any(s => s.Path == "/later")), "a later valid sample relayed", Timeout);
    }

    [Fact]
    public async Task WatcherLeaves_ProxyIsToldToStop()
    {
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "ledger-tap-2", "journal"));
        var tap = new TapClient(fixture.Channel, "journal");
        var started = await Eventually.ValueAsync(() => proxy.LastTap, "the control plane asked the proxy to tap", Timeout);
        await Eventually.HoldsAsync(() => Task.FromResult(tap.Proxies == 1), "the tap counts the proxy", Timeout);
        await tap.DisposeAsync();
        var stopped = await Eventually.ValueAsync(() => proxy.LastTap is { Stop: true } stop ? stop : null, "a stop", Timeout);
        Assert.Equal(started.TapId, stopped.TapId);
    }

    private static RequestSample WithMethod(RequestSample sample, string method)
    {
        sample.Method = method;
        return sample;
    }

    private static RequestSample WithTraceId(RequestSample sample, string traceId)
    {
        sample.TraceId = traceId;
        return sample;
    }
}
