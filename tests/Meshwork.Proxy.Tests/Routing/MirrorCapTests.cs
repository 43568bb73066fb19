using System.Net;
using Meshwork.Model.Resources;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Waiting;

namespace Meshwork.Proxy.Tests.Routing;

/// <summary>
/// A mirror target that never answers (it holds every request) cannot make the proxy pile up
/// copies: at most Proxy:MirrorMaxInFlight are in flight to it, the rest are dropped and counted,
/// and the primary requests are all served.
/// </summary>
public sealed class MirrorCapTests
{
    private const int Cap = 3;
    private const int Requests = 20;

    private static IReadOnlyList<Resource> Resources() =>
    [
        PlainSidecar.Service("shop"),
        PlainSidecar.Service("shadow"),
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "shop" },
            ParentRefs = [new ParentRef { Name = "shop" }],
            Rules =
            [
                new HttpRouteRule
                {
                    BackendRefs = [new BackendRef { Service = "shop" }],
                    Filters = [new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new RequestMirror { BackendRef = new BackendRef { Service = "shadow" } } }],
                },
            ],
        },
    ];

    [Fact]
    public async Task Mirror_StalledTarget_NeverMoreThanTheCapInFlight_TheRestDroppedAndCounted()
    {
        await using var shop = await ScriptedBackend.StartAsync("shop-1");
        await using var shadow = await ScriptedBackend.StartAsync("shadow-1");
        await using var sidecar = await PlainSidecar.StartAsync("proxy-mirror-cap", Resources(),
            ["--Proxy:MirrorMaxInFlight", Cap.ToString(System.Globalization.CultureInfo.InvariantCulture)], ("shop", shop), ("shadow", shadow));
        shadow.Hold();

        var statuses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(async i =>
        {
            using var response = await sidecar.Client.GetAsync($"http://shop/item/{i}");
            return response.StatusCode;
        }));
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));

        // Every copy was admitted (and reaches the held target) or dropped at once.
        System.Text.Json.JsonElement stats = default, shadowStats = default;
        await Eventually.HoldsAsync(async () =>
        {
            stats = await sidecar.Proxy.StatsAsync();
            shadowStats = stats.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "shadow.default");
            return shadowStats.GetProperty("mirrorDropped").GetInt64() + shadow.Received.Count == Requests;
        }, "every mirror copy admitted or dropped");

        Assert.Equal(Cap, shadow.Received.Count);
        Assert.Equal(Cap, shadow.InFlight);
        Assert.Equal(Cap, shadowStats.GetProperty("mirrorActive").GetInt64());
        Assert.Equal(Requests - Cap, shadowStats.GetProperty("mirrorDropped").GetInt64());
        Assert.Equal(Requests - Cap, stats.GetProperty("mirror").GetProperty("dropped").GetInt64());
        Assert.Equal(Requests, shop.Received.Count);
    }
}
