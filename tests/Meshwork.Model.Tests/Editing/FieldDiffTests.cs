using Meshwork.Model.Editing;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Editing;

public sealed class FieldDiffTests
{
    internal static HttpRoute Route(int weight = 90) => new()
    {
        Metadata = new ResourceMetadata { Name = "reviews", Version = 3 },
        ParentRefs = [new ParentRef { Name = "reviews" }],
        Rules =
        [
            new HttpRouteRule
            {
                Name = "split",
                BackendRefs = [new BackendRef { Service = "reviews", Version = "v1", Weight = weight }, new BackendRef { Service = "reviews", Version = "v2", Weight = 100 - weight }],
            },
        ],
    };

    [Fact]
    public void Between_OneWeightChanged_ReportsExactlyThatFieldAtTheValidatorsPath()
    {
        var before = Route(90);
        var after = before with { Rules = [before.Rules[0] with { BackendRefs = [before.Rules[0].BackendRefs[0] with { Weight = 80 }, before.Rules[0].BackendRefs[1]] }] };

        var change = Assert.Single(FieldDiff.Between(before, after));

        Assert.Equal(new FieldChange("rules[0].backendRefs[0].weight", "90", "80"), change);
    }

    [Fact]
    public void Between_AddedFault_ReportsEachNewLeafAsAdded()
    {
        var before = Route();
        var after = before with { Rules = [before.Rules[0] with { Fault = new FaultInjection { Abort = new FaultAbort { HttpStatus = 503, Percent = 50 } } }] };

        var changes = FieldDiff.Between(before, after);

        Assert.Equal(
            [new FieldChange("rules[0].fault.abort.httpStatus", null, "503"), new FieldChange("rules[0].fault.abort.percent", null, "50")],
            changes.OrderBy(c => c.Path, StringComparer.Ordinal));
    }

    [Fact]
    public void Between_OnlyTheVersionDiffers_ReportsNothing()
    {
        var before = Route();
        Assert.Empty(FieldDiff.Between(before, before with { Metadata = before.Metadata with { Version = 9 } }));
    }

    [Fact]
    public void Between_RemovedMatchList_ShowsTheEmptyListItBecame()
    {
        var before = Route() is var r ? r with { Rules = [r.Rules[0] with { Matches = [new HttpRouteMatch { Method = "GET" }] }] } : null!;
        var after = Route();

        var changes = FieldDiff.Between(before, after);

        Assert.Contains(new FieldChange("rules[0].matches[0].method", "GET", null), changes);
        Assert.Contains(new FieldChange("rules[0].matches", null, "[]"), changes);
    }
}
