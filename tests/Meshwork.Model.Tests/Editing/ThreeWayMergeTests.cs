using Meshwork.Model.Editing;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.Model.Tests.Editing;

public sealed class ThreeWayMergeTests
{
    private static HttpRoute WithRule(HttpRoute route, Func<HttpRouteRule, HttpRouteRule> change) =>
        route with { Rules = [change(route.Rules[0]), .. route.Rules.Skip(1)] };

    [Fact]
    public void Merge_DifferentFieldsChanged_KeepsBothChangesAndTheirVersion()
    {
        var loaded = FieldDiffTests.Route();
        var mine = WithRule(loaded, r => r with { Fault = new FaultInjection { Abort = new FaultAbort { HttpStatus = 503 } } });
        var theirs = WithRule(loaded, r => r with { BackendRefs = [r.BackendRefs[0] with { Weight = 50 }, r.BackendRefs[1] with { Weight = 50 }] })
            with { Metadata = loaded.Metadata with { Version = 4 } };

        var result = ThreeWayMerge.Merge(loaded, mine, theirs);

        var merged = Assert.IsType<HttpRoute>(result.Merged);
        Assert.Equal(4, merged.Metadata.Version);
        Assert.Equal([50, 50], merged.Rules[0].BackendRefs.Select(b => b.Weight));
        Assert.Equal(503, merged.Rules[0].Fault?.Abort?.HttpStatus);
        Assert.Empty(result.BothChanged);
    }

    [Fact]
    public void Merge_SameFieldChangedDifferently_TakesMineAndReportsTheField()
    {
        var loaded = FieldDiffTests.Route(90);
        var mine = FieldDiffTests.Route(70);
        var theirs = FieldDiffTests.Route(60) with { Metadata = loaded.Metadata with { Version = 4 } };

        var result = ThreeWayMerge.Merge(loaded, mine, theirs);

        Assert.Equal([70, 30], ((HttpRoute)result.Merged).Rules[0].BackendRefs.Select(b => b.Weight));
        Assert.Equal(["rules[0].backendRefs[0].weight", "rules[0].backendRefs[1].weight"], result.BothChanged);
    }

    [Fact]
    public void Merge_TheyAddedARule_IKeptTheLength_KeepsTheirRuleAndMyEditOfTheFirst()
    {
        var loaded = FieldDiffTests.Route();
        var mine = WithRule(loaded, r => r with { Timeouts = new RouteTimeouts { Request = TimeSpan.FromSeconds(2) } });
        var extra = new HttpRouteRule { Name = "beta", Matches = [new HttpRouteMatch { Method = "POST" }], BackendRefs = [new BackendRef { Service = "reviews" }] };
        var theirs = loaded with { Rules = [.. loaded.Rules, extra], Metadata = loaded.Metadata with { Version = 4 } };

        var merged = (HttpRoute)ThreeWayMerge.Merge(loaded, mine, theirs).Merged;

        Assert.Equal(["split", "beta"], merged.Rules.Select(r => r.Name));
        Assert.Equal(TimeSpan.FromSeconds(2), merged.Rules[0].Timeouts?.Request);
    }

    [Fact]
    public void Merge_NothingChangedByMe_IsTheirs()
    {
        var loaded = FieldDiffTests.Route();
        var theirs = FieldDiffTests.Route(10) with { Metadata = loaded.Metadata with { Version = 4 } };

        var result = ThreeWayMerge.Merge(loaded, loaded, theirs);

        Assert.Equal(MeshworkJson.Canonical(theirs), MeshworkJson.Canonical(result.Merged));
    }
}
