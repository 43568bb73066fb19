using System.Text.Json;
using Meshwork.Proxy.Tests.Infrastructure;

namespace Meshwork.Proxy.Tests.Telemetry;

[Collection(MeshCollection.Name)]
public sealed class TelemetryTests(MeshFixture mesh)
{
    [Fact]
    public async Task Traceparent_IncomingTrace_PropagatedToBackendInSameTrace()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://ratings/traced");
        request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
        using var response = await mesh.Outbound.SendAsync(request);
        var echo = await MeshFixture.EchoAsync(response);
        Assert.Contains(traceId, echo.Headers["traceparent"]);
    }

    [Fact]
    public async Task Stats_AfterTraffic_CountEdgeByRouteAndStatusClass()
    {
        for (var i = 0; i < 5; i++)
            (await mesh.Outbound.GetAsync("http://ratings/counted")).Dispose();
        var stats = await mesh.Web.StatsAsync();
        var edge = stats.GetProperty("traffic").EnumerateArray().Single(t =>
            t.GetProperty("destination").GetString() == "ratings" && t.GetProperty("statusClass").GetString() == "2xx" &&
            t.GetProperty("direction").GetString() == "outbound");
        Assert.True(edge.GetProperty("requests").GetInt64() >= 5);
        Assert.Equal("default/ratings/default", edge.GetProperty("route").GetString());
        Assert.Equal("v1", edge.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Metrics_PrometheusScrape_ExposesRequestCounterWithLabels()
    {
        (await mesh.Outbound.GetAsync("http://ratings/scraped")).Dispose();
        var text = await mesh.Web.MetricsAsync();
        Assert.Contains("meshwork_proxy_requests_total", text);
        Assert.Contains("destination_service=\"ratings\"", text);
        Assert.Contains("meshwork_proxy_request_duration_seconds_bucket", text);
    }

    [Fact]
    public async Task Denied_InboundRequest_CountedAsDeniedOnTheSidecar()
    {
        (await mesh.Outbound.GetAsync("http://secure/private/counted")).Dispose();
        var stats = await mesh.Secure.StatsAsync();
        var denied = stats.GetProperty("traffic").EnumerateArray()
            .Where(t => t.GetProperty("direction").GetString() == "inbound")
            .Sum(t => t.GetProperty("denied").GetInt64());
        Assert.True(denied >= 1);
        var fromWeb = stats.GetProperty("traffic").EnumerateArray().Any(t => t.GetProperty("source").GetString() == "web");
        Assert.True(fromWeb, "inbound source identity should come from the caller's SPIFFE certificate");
        _ = JsonSerializer.Serialize(stats);
    }
}
