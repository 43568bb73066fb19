using Meshwork.Proxy.Tests.Infrastructure;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// Which HTTP/1.1 engine a real proxy process runs. Without tracing the default is the lean path (every
/// <see cref="LeanEngineTests"/> proxy runs on the default and checks it); with tracing on
/// (OTEL_EXPORTER_OTLP_ENDPOINT, here on the command line, which the proxy reads like the environment)
/// the default is Kestrel and YARP, whose spans the lean path would not make, and an explicit Lean is refused.
/// </summary>
public sealed class Http1EngineChoiceTests
{
    private static readonly string[] Tracing = ["--OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9"];

    [Fact]
    public async Task With_tracing_on_the_default_engine_is_kestrel()
    {
        await using var sidecar = await PlainSidecar.StartAsync("engine-traced", [PlainSidecar.Service("shop")], Tracing);

        var http1 = (await sidecar.Proxy.StatsAsync()).GetProperty("http1");

        Assert.Equal("kestrel", http1.GetProperty("engine").GetString());
    }

    [Fact]
    public async Task With_tracing_on_an_explicit_lean_engine_is_refused_at_start()
    {
        var start = () => PlainSidecar.StartAsync("engine-lean-traced", [PlainSidecar.Service("shop")], [.. Tracing, "--Proxy:Http1Engine", "Lean"]);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(start);

        Assert.Contains("Proxy:Http1Engine is Lean, which does not trace requests, and OTEL_EXPORTER_OTLP_ENDPOINT is set", refused.Message);
    }
}
