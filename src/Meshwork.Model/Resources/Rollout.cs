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

    /// <summary>
    /// A/B: while the rollout is live, requests carrying this header go to the canary whatever the
    /// weight. A cookie is matched as the "cookie" header with a regular expression.
    /// </summary>
    public HeaderMatch? CanaryHeader { get; init; }

    /// <summary>Gates called before each step is entered, and receivers of every decision (Flagger's webhooks).</summary>
    public IReadOnlyList<RolloutWebhook> Webhooks { get; init; } = [];

    /// <summary>Promote when the last step passes; false waits for an operator.</summary>
    public bool AutoPromote { get; init; } = true;
}

/// <summary>Exactly one of SetWeight, Pause or Mirror is set.</summary>
public sealed record RolloutStep
{
    /// <summary>Canary share of traffic, 0-100.</summary>
    public int? SetWeight { get; init; }

    public RolloutPause? Pause { get; init; }

    /// <summary>Copies of live requests go to the canary while live traffic stays on the current weights.</summary>
    public RolloutMirror? Mirror { get; init; }
}

/// <summary>
/// A mirror step: a share of the requests the rollout's rules route is copied to the canary (its answers
/// are dropped), and the canary is judged on those copies; the step completes when one analysis interval passes.
/// </summary>
public sealed record RolloutMirror
{
    /// <summary>Share of requests copied to the canary, 1-100.</summary>
    public int Percent { get; init; } = 100;
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

/// <summary>An HTTP endpoint the rollout controller calls: a gate before each step, or a receiver of its events.</summary>
public sealed record RolloutWebhook
{
    public required string Name { get; init; }

    /// <summary>Absolute http or https URL; the controller POSTs a signed JSON body to it.</summary>
    public required string Url { get; init; }

    public RolloutWebhookType Type { get; init; } = RolloutWebhookType.Event;

    /// <summary>Per attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Further attempts after a failed one (non-2xx, timeout, connection error).</summary>
    public int Retries { get; init; } = 2;
}

public enum RolloutWebhookType
{
    /// <summary>Called before each step is entered; anything but a 2xx answer holds the step.</summary>
    PreStep,

    /// <summary>Told of every decision and phase change; its answer changes nothing.</summary>
    Event,
}
