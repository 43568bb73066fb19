using Meshwork.DemoApps.Traffic;

namespace Meshwork.DemoApps.Tests.Traffic;

public sealed class WeightedRotationTests
{
    private static readonly Uri A = new("http://a/"), B = new("http://b/"), C = new("http://c/");

    [Fact]
    public void Next_OverOneRoundOfTheTotalWeight_PicksEachTargetExactlyItsWeight_Interleaved()
    {
        var rotation = new WeightedRotation([new(A, 3), new(B, 1), new(C, 0)]);
        var picks = Enumerable.Range(0, 8).Select(_ => rotation.Next().Url).ToList();
        Assert.Equal(6, picks.Count(u => u == A));
        Assert.Equal(2, picks.Count(u => u == B));
        Assert.DoesNotContain(C, picks);
        Assert.NotEqual(B, picks[1]);   // smooth: A, A, B, A ... not blocks
        Assert.Equal([A, A, B, A], picks.Take(4));
    }

    [Fact]
    public void FromUrls_AUrlGivenTwice_HasTwiceTheWeight()
    {
        var targets = TrafficPlan.FromUrls([A, B, A]);
        Assert.Equal([new TrafficTarget(A, 2), new TrafficTarget(B, 1)], targets);
    }

    [Fact]
    public void With_InvalidChange_NamesEveryField_AndMakesNoPlan()
    {
        var plan = new TrafficPlan(10, [new(A, 1)]);
        var (next, errors) = plan.With(new TrafficPlan.Change(-1, [new("ftp://x/", 1), new("http://b/", -2)]));
        Assert.Null(next);
        Assert.Equal(["rps", "targets[0].url", "targets[1].weight"], errors.Keys.Order());
    }

    [Fact]
    public void With_EveryWeightZero_IsRefused()
    {
        var (next, errors) = new TrafficPlan(10, [new(A, 1)]).With(new TrafficPlan.Change(null, [new("http://a/", 0)]));
        Assert.Null(next);
        Assert.Contains("above 0", errors["targets"].Single());
    }

    [Fact]
    public void With_OnlyTheRate_KeepsTheMix()
    {
        var (next, errors) = new TrafficPlan(10, [new(A, 2)]).With(new TrafficPlan.Change(0, null));
        Assert.Empty(errors);
        Assert.Equal(0, next!.Rps);
        Assert.Equal([new TrafficTarget(A, 2)], next.Targets);
    }
}
