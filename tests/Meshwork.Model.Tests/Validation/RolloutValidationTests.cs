using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

public class RolloutValidationTests
{
    private static ValidationResult Validate(Rollout rollout) => ResourceValidator.Validate(rollout, Valid.Context);

    [Fact]
    public void Accepts_CanaryHeader() =>
        Clean(Validate(Valid.Rollout with { CanaryHeader = new() { Name = "x-canary", Value = "always" } }));

    [Fact]
    public void Rejects_UnknownService() =>
        Single(Validate(Valid.Rollout with { Service = "details" }), "service", "unknown service 'details' in namespace 'default'");

    [Fact]
    public void Rejects_UnknownStableVersion() =>
        Single(Validate(Valid.Rollout with { StableVersion = "v0" }), "stableVersion", "service 'reviews' has no version 'v0'; its versions are v1, v2");

    [Fact]
    public void Rejects_UnknownCanaryVersion() =>
        Single(Validate(Valid.Rollout with { CanaryVersion = "v3" }), "canaryVersion", "service 'reviews' has no version 'v3'; its versions are v1, v2");

    [Fact]
    public void Rejects_CanaryEqualToStable() =>
        Single(Validate(Valid.Rollout with { CanaryVersion = "v1" }), "canaryVersion", "must differ from stableVersion; both are 'v1'");

    [Fact]
    public void Rejects_NoSteps() =>
        Single(Validate(Valid.Rollout with { Steps = [] }), "steps", "list at least one step, such as setWeight: 10");

    [Fact]
    public void Rejects_StepWithNoKind() =>
        Single(Validate(Valid.Rollout with { Steps = [new() { SetWeight = 10 }, new()] }), "steps[1]", "set one of setWeight, pause or mirror");

    [Fact]
    public void Rejects_StepWithWeightAndPause() =>
        Single(Validate(Valid.Rollout with { Steps = [new() { SetWeight = 10, Pause = new() }] }), "steps[0]",
            "set only one of setWeight, pause or mirror, not setWeight and pause; use one step for each");

    [Fact]
    public void Rejects_StepWithMirrorAndWeight() =>
        Single(Validate(Valid.Rollout with { Steps = [new() { SetWeight = 10 }, new() { SetWeight = 20, Mirror = new() }] }), "steps[1]",
            "set only one of setWeight, pause or mirror, not setWeight and mirror; use one step for each");

    [Fact]
    public void Accepts_MirrorStepsBetweenWeights() =>
        Clean(Validate(Valid.Rollout with { Steps = [new() { Mirror = new() }, new() { SetWeight = 20 }, new() { Mirror = new() { Percent = 1 } }, new() { SetWeight = 50 }] }));

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void Rejects_MirrorPercentOutOfRange(int percent) =>
        Single(Validate(Valid.Rollout with { Steps = [new() { SetWeight = 10 }, new() { Mirror = new() { Percent = percent } }] }), "steps[1].mirror.percent",
            $"must be a percentage between 1 and 100, was {percent}");

    [Theory]
    [InlineData(-1)]
    [InlineData(101)]
    public void Rejects_WeightOutOfRange(int weight) =>
        Single(Validate(Valid.Rollout with { Steps = [new() { SetWeight = weight }] }), "steps[0].setWeight", $"must be a percentage between 0 and 100, was {weight}");

    [Fact]
    public void Rejects_DecreasingWeight() =>
        Single(Validate(Valid.Rollout with { Steps = [new() { SetWeight = 20 }, new() { Pause = new() }, new() { SetWeight = 50 }, new() { SetWeight = 30 }] }),
            "steps[3].setWeight", "must not be lower than the weight of steps[2] (50), was 30; a rollout only moves traffic forward");

    [Fact]
    public void Accepts_EqualConsecutiveWeights() =>
        Clean(Validate(Valid.Rollout with { Steps = [new() { SetWeight = 50 }, new() { SetWeight = 50 }, new() { SetWeight = 100 }] }));

    [Fact]
    public void Rejects_ZeroPauseDuration() =>
        Single(Validate(Valid.Rollout with { Steps = [new() { Pause = new() { Duration = TimeSpan.Zero } }] }), "steps[0].pause.duration", "must be longer than 0s, was 0s");

    [Fact]
    public void Rejects_PauseLongerThanAWeek() =>
        Single(Validate(Valid.Rollout with { Steps = [new() { Pause = new() { Duration = TimeSpan.FromDays(8) } }] }), "steps[0].pause.duration", "must be at most 168h, was 192h");

    [Fact]
    public void Rejects_SuccessRateAbove100() =>
        Single(Validate(Valid.Rollout with { Analysis = new() { MinSuccessRatePercent = 101 } }), "analysis.minSuccessRatePercent", "must be a percentage between 0 and 100, was 101");

    [Fact]
    public void Rejects_AnalysisIntervalBelowOneSecond() =>
        Single(Validate(Valid.Rollout with { Analysis = new() { Interval = TimeSpan.FromMilliseconds(100) } }), "analysis.interval", "must be at least 1s, was 100ms");

    [Fact]
    public void Rejects_NegativeFailureLimit() =>
        Single(Validate(Valid.Rollout with { Analysis = new() { FailureLimit = -1 } }), "analysis.failureLimit", "must be at least 0, was -1");

    [Fact]
    public void Rejects_ZeroLatencyThreshold() =>
        Single(Validate(Valid.Rollout with { Analysis = new() { MaxLatencyP99 = TimeSpan.Zero } }), "analysis.maxLatencyP99", "must be longer than 0s, was 0s");

    [Fact]
    public void Rejects_LookbehindInCanaryHeaderRegex()
    {
        var issue = Assert.Single(Validate(Valid.Rollout with { CanaryHeader = new() { Name = "x-canary", Type = StringMatchType.RegularExpression, Value = "(?<=beta-).*" } }).Issues);
        Assert.Equal("canaryHeader.value", issue.Path);
        Assert.StartsWith("the regular expression uses a construct that linear-time matching cannot run", issue.Message);
    }
}

public class RolloutValidationEdgeTests
{
    [Fact]
    public void Rejects_CanaryHeaderWithInvalidName() =>
        Single(ResourceValidator.Validate(Valid.Rollout with { CanaryHeader = new() { Name = "x canary", Value = "1" } }, Valid.Context), "canaryHeader.name",
            "'x canary' is not a valid header name: use letters, digits and !#$%&'*+-.^_`|~");

    [Fact]
    public void Rejects_VersionsThatAreNotDnsLabelsWhenServiceUnknown()
    {
        var result = ResourceValidator.Validate(Valid.Rollout with { Service = "nope", StableVersion = "V1" }, Valid.Context);
        Assert.Equal(
            [
                new ValidationIssue("service", "unknown service 'nope' in namespace 'default'"),
                new ValidationIssue("stableVersion", "'V1' is not a valid name: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit"),
            ],
            result.Issues);
    }

    [Fact]
    public void Rejects_MissingAnalysis() =>
        Single(ResourceValidator.Validate(Valid.Rollout with { Analysis = null! }, Valid.Context), "analysis", "is required");
}
