namespace Meshwork.Model.Resources;

/// <summary>
/// Progressive delivery (Flagger / Argo Rollouts semantics): move traffic from the stable to the
/// canary version step by step, analysing success rate and latency, promoting or rolling back.
/// </summary>
public sealed record Rollout : Resource
{
    public override ResourceKind Kind => ResourceKind.Rollout;

    public required string Service { get; init; }
    public required string StableVersion { get; init; }
    public required string CanaryVersion { get; init; }
    public IReadOnlyList<RolloutStep> Steps { get; init; } = [];
    public RolloutAnalysis Analysis { get; init; } = new();

    /// <summary>A/B: requests carrying this header go to the canary whatever the weight.</summary>
    public HeaderMatch? CanaryHeader { get; init; }

    /// <summary>Promote when the last step passes; false waits for an operator.</summary>
    public bool AutoPromote { get; init; } = true;
}

/// <summary>Exactly one of SetWeight or Pause is set.</summary>
public sealed record RolloutStep
{
    /// <summary>Canary share of traffic, 0-100.</summary>
    public int? SetWeight { get; init; }

    public RolloutPause? Pause { get; init; }
}

public sealed record RolloutPause
{
    /// <summary>How long to hold; null holds until an operator approves.</summary>
    public TimeSpan? Duration { get; init; }
}

public sealed record RolloutAnalysis
{
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);
    public double MinSuccessRatePercent { get; init; } = 99;
    public TimeSpan MaxLatencyP99 { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Failed analyses tolerated before the rollout rolls back.</summary>
    public int FailureLimit { get; init; } = 2;

    /// <summary>Below this many canary requests in an interval the analysis is inconclusive, not failed.</summary>
    public int MinRequests { get; init; } = 20;
}
