using Meshwork.Proxy.Tests.Infrastructure;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// Which HTTP/1.1 engine a real proxy process runs. Without tracing the default is the lean path (every
/// <see cref="LeanEngineTests"/> proxy runs on the default and checks it); with tracing on
/// (OTEL_EXPORTER_OTLP_ENDPOINT, here on the command line, which the proxy reads like the environment)
/// the default is Kestrel and YARP, whose spans the lean path would not make, and an explicit Lean is refused; the
/// same with the socket engine (<c>Proxy:Transport=Sockets</c>), as the lean path runs on the proxy's own event loops.
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

    [Fact]
    public async Task With_the_socket_engine_the_default_engine_is_kestrel_and_an_explicit_lean_is_refused()
    {
        await using (var sidecar = await PlainSidecar.StartAsync("engine-sockets", [PlainSidecar.Service("shop")], ["--Proxy:Transport", "Sockets"]))
            Assert.Equal("kestrel", (await sidecar.Proxy.StatsAsync()).GetProperty("http1").GetProperty("engine").GetString());

        var start = () => PlainSidecar.StartAsync("engine-lean-sockets", [PlainSidecar.Service("shop")], ["--Proxy:Transport", "Sockets", "--Proxy:Http1Engine", "Lean"]);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(start);
        Assert.Contains("Proxy:Http1Engine is Lean, which runs on the epoll transport, and Proxy:Transport is Sockets", refused.Message);
    }
}
