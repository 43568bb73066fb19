using Meshwork.ControlPlane.Compilation;
using Meshwork.ControlPlane.Stats;
using Meshwork.Model.Resources;
using Meshwork.Protocol.Mesh;

namespace Meshwork.ControlPlane.Tests.Stats;

/// <summary>Route names a proxy reports become history keys: only rules of stored HttpRoutes get through, however many are sent.</summary>
public sealed class KnownRoutesTests
{
    private static readonly DesiredState Desired = new(
    [
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "orders", Namespace = "shop" },
            ParentRefs = [new ParentRef { Name = "orders" }],
            Rules =
            [
                new HttpRouteRule { Name = "canary", BackendRefs = [new BackendRef { Service = "orders" }] },
                new HttpRouteRule { BackendRefs = [new BackendRef { Service = "orders" }] },
            ],
        },
    ]);

    [Fact]
    public void Filter_KeepsNamedAndIndexedRulesOfStoredRoutesAndDropsEverythingElse()
    {
        var stats = Report("shop/orders/canary", "shop/orders/1", "shop/orders/0", "shop/orders/default", "shop/payments/0",
            "other/orders/canary", "none", "shop/orders/canary/extra", "", new string('a', 10_000));

        var dropped = new KnownRoutes().Filter(stats, Desired);

        Assert.Equal(8, dropped);
        Assert.Equal(["shop/orders/canary", "shop/orders/1"], stats.Routes.Select(r => r.Route));
    }

    [Fact]
    public void Filter_AReportWithMoreRoutesThanAnySnapshotHas_IsDroppedWhole()
    {
        var stats = Report(Enumerable.Range(0, KnownRoutes.MaxRoutesPerReport + 1).Select(_ => "shop/orders/canary").ToArray());

        var dropped = new KnownRoutes().Filter(stats, Desired);

        Assert.Equal(KnownRoutes.MaxRoutesPerReport + 1, dropped);
        Assert.Empty(stats.Routes);
    }

    [Fact]
    public void Filter_FollowsTheDesiredState_ARuleNoLongerStoredIsDropped()
    {
        var known = new KnownRoutes();
        Assert.Equal(0, known.Filter(Report("shop/orders/canary"), Desired));

        Assert.Equal(1, known.Filter(Report("shop/orders/canary"), DesiredState.Empty));
    }

    private static Protocol.Mesh.Stats Report(params string[] routes)
    {
        var stats = new Protocol.Mesh.Stats();
        stats.Routes.Add(routes.Select(route => new RouteStats { Route = route, Requests = 1 }));
        return stats;
    }
}
