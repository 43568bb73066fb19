using Meshwork.ControlPlane.Tap;
using Meshwork.Protocol.Mesh;

namespace Meshwork.ControlPlane.Tests.Tap;

public sealed class TapSampleValidatorTests
{
    private static RequestSample Valid() => new()
    {
        AtUnixMs = 1_700_000_000_000,
        SourceService = "web",
        SourceNamespace = "default",
        DestinationService = "orders",
        DestinationNamespace = "default",
        DestinationVersion = "v2",
        Method = "GET",
        Path = "/items/42",
        Status = 200,
        LatencyMicros = 1234,
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
    };

    private static string? Check(Action<RequestSample> change)
    {
        var sample = Valid();
        change(sample);
        return TapSampleValidator.Problem(sample, "orders", "default", "v2");
    }

    [Fact]
    public void Accepts_ASampleOfTheProxysOwnServiceVersion() => Assert.Null(Check(_ => { }));

    [Fact]
    public void Accepts_ACallerWithoutIdentity_AndNoTraceId_AndAnAbortedRequest() =>
        Assert.Null(Check(s => { s.SourceService = "unknown"; s.SourceNamespace = ""; s.TraceId = ""; s.Status = 0; }));

    [Theory]
    [InlineData("payments", "default", "v2")]
    [InlineData("orders", "prod", "v2")]
    [InlineData("orders", "default", "v1")]
    public void Rejects_ADestinationOtherThanTheProxysOwn(string service, string ns, string version) =>
        Assert.Equal($"destination '{ns}/{service}/{version}' is not the proxy's own 'default/orders/v2'",
            Check(s => { s.DestinationService = service; s.DestinationNamespace = ns; s.DestinationVersion = version; }));

    [Fact]
    public void Rejects_ASourceNameBreakingTheModelsRules() =>
        Assert.StartsWith("source_service 'Web_App' is not a valid name", Check(s => s.SourceService = "Web_App"));

    [Fact]
    public void Rejects_ASourceVersionBreakingTheModelsRules() =>
        Assert.StartsWith("source_version 'v 1' is not a valid name", Check(s => s.SourceVersion = "v 1"));

    [Theory]
    [InlineData("")]
    [InlineData("GET /x HTTP/1.1")]
    [InlineData("AVERYLONGMETHODNAME")]
    public void Rejects_AMethodThatIsNotAnHttpToken(string method) =>
        Assert.Equal($"method '{method}' is not an HTTP method token of 1-16 characters", Check(s => s.Method = method));

    [Theory]
    [InlineData("/items?token=secret")]
    [InlineData("/items#frag")]
    [InlineData("items")]
    [InlineData("/a\nb")]
    public void Rejects_APathWithQueryFragmentOrControlCharacters(string path) =>
        Assert.StartsWith($"path '{path}' is not an absolute path without query", Check(s => s.Path = path));

    [Fact]
    public void Rejects_APathLongerThanTheBound() =>
        Assert.Equal("path is longer than 512 characters", Check(s => s.Path = "/" + new string('a', 512)));

    [Theory]
    [InlineData(99)]
    [InlineData(600)]
    [InlineData(-1)]
    public void Rejects_AStatusOutsideHttp(int status) =>
        Assert.Equal($"status {status} is not 0 or 100-599", Check(s => s.Status = status));

    [Fact]
    public void Rejects_ANegativeLatency() =>
        Assert.StartsWith("latency_micros -5 is not", Check(s => s.LatencyMicros = -5));

    [Theory]
    [InlineData("4BF92F3577B34DA6A3CE929D0E0E4736")]
    [InlineData("4bf92f35")]
    [InlineData("zzf92f3577b34da6a3ce929d0e0e4736")]
    public void Rejects_ATraceIdThatIsNot32LowercaseHexDigits(string traceId) =>
        Assert.Equal($"trace_id '{traceId}' is not 32 lowercase hex digits", Check(s => s.TraceId = traceId));

    [Fact]
    public void Rejects_AHostileValue_QuotingOnlyItsStart() =>
        Assert.Equal($"source_service '{new string('x', 64)}...' is not a valid name: {Meshwork.Model.Validation.IdentityNames.DnsLabelRule}",
            Check(s => s.SourceService = new string('x', 10_000)));
}
