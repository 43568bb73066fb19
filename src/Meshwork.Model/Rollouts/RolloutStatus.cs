namespace Meshwork.Model.Rollouts;

/// <summary>Where a rollout is. Promoted, RolledBack and Aborted are final until a retry.</summary>
public enum RolloutPhase
{
    /// <summary>Walking its steps: weights set, pauses timed, analysis every interval.</summary>
    Progressing,

    /// <summary>Held at its current weight by an operator; analysis still runs and can roll it back.</summary>
    Paused,

    /// <summary>At a pause step without a duration (or past the last step without auto-promotion): an operator promotes.</summary>
    WaitingForApproval,

    /// <summary>Every step passed: all traffic on the canary.</summary>
    Promoted,

    /// <summary>Analysis failed more often than the failure limit: all traffic back on stable.</summary>
    RolledBack,

    /// <summary>An operator aborted it: all traffic back on stable.</summary>
    Aborted,
}

/// <summary>What an operator asks of a rollout; the controller carries it out and records it.</summary>
public enum RolloutCommand
{
    /// <summary>Go to the next step now (approves a pause).</summary>
    Promote,
    Pause,
    Resume,

    /// <summary>All traffic back to stable; the rollout stops.</summary>
    Abort,

    /// <summary>After a rollback or abort: start again from the first step.</summary>
    Retry,

    /// <summary>Skip analysis and the remaining steps: all traffic to the canary (Admin only).</summary>
    PromoteFull,
}

public enum AnalysisVerdict
{
    Passed,
    Failed,

    /// <summary>Too few canary requests, or stable failing too: says nothing about the canary; the step waits.</summary>
    Inconclusive,
}

/// <summary>One metric of one analysis: what was measured, against what, and whether it held.</summary>
public sealed record AnalysisCheck(string Metric, double Value, double Threshold, bool Passed)
{
    /// <summary>The canary's success rate in percent; passes at or above the threshold.</summary>
    public const string SuccessRate = "successRatePercent";

    /// <summary>The canary's p99 latency in milliseconds; passes at or below the threshold.</summary>
    public const string LatencyP99 = "latencyP99Ms";
}

/// <summary>
/// One analysis interval: the canary's and the stable version's signals over the same interval, the
/// checks made on the canary, and the verdict with the reason in words.
/// </summary>
public sealed record RolloutAnalysisResult
{
    public required DateTimeOffset At { get; init; }
    public required AnalysisVerdict Verdict { get; init; }
    public required string Reason { get; init; }
    public TimeSpan Interval { get; init; }
    public int CanaryWeight { get; init; }
    public ulong CanaryRequests { get; init; }
    public double CanarySuccessRatePercent { get; init; }
    public double CanaryP99Ms { get; init; }
    public ulong StableRequests { get; init; }
    public double StableSuccessRatePercent { get; init; }
    public double StableP99Ms { get; init; }
    public int MinRequests { get; init; }
    public IReadOnlyList<AnalysisCheck> Checks { get; init; } = [];
}

/// <summary>
/// One thing the controller did or decided, and who caused it (the controller itself or an operator).
/// A decision an analysis made carries that analysis (metric, value, threshold, requests counted, verdict).
/// </summary>
public sealed record RolloutDecision(DateTimeOffset At, string Actor, string Action, string Message, int Step, int Weight)
{
    public RolloutAnalysisResult? Analysis { get; init; }
}

/// <summary>The live state of one rollout, as the controller keeps it in PostgreSQL and the API and meshctl show it.</summary>
public sealed record RolloutStatus
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }

    /// <summary>The version of the Rollout resource this state belongs to: a changed spec starts the rollout again.</summary>
    public long RolloutVersion { get; init; }

    public RolloutPhase Phase { get; init; }

    /// <summary>Index into the steps; equal to their count once past the last one.</summary>
    public int Step { get; init; }

    public int StepCount { get; init; }

    /// <summary>The canary's share of traffic the controller last set, 0-100.</summary>
    public int Weight { get; init; }

    public DateTimeOffset StepStartedAt { get; init; }
    public int ConsecutiveFailures { get; init; }

    /// <summary>Why the rollout is not moving, when something outside it stops it (no route to split, a conflict).</summary>
    public string? Message { get; init; }

    public RolloutAnalysisResult? LastAnalysis { get; init; }

    /// <summary>Newest last, the most recent <see cref="MaxHistory"/> only.</summary>
    public IReadOnlyList<RolloutDecision> History { get; init; } = [];

    /// <summary>
    /// Every analysis interval judged since the rollout (re)started, newest last, the most recent
    /// <see cref="MaxAnalyses"/> only: the canary-vs-stable chart. The history records only the
    /// analyses that decided something.
    /// </summary>
    public IReadOnlyList<RolloutAnalysisResult> Analyses { get; init; } = [];

    /// <summary>An operator's command not yet carried out by the controller.</summary>
    public PendingRolloutCommand? Pending { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public const int MaxHistory = 100;
    public const int MaxAnalyses = 120;
}

public sealed record PendingRolloutCommand(RolloutCommand Command, string Actor, DateTimeOffset At);
