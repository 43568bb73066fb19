namespace Meshwork.Store.Entities;

/// <summary>
/// The live state of one rollout (table <c>rollout_states</c>): written by the control plane's
/// rollout controller, so a restarted or new leader resumes at the same step, and an operator's
/// command (the <c>pending_*</c> columns, the only ones the portal may write) waiting for it.
/// </summary>
internal sealed class RolloutStateRow
{
    public required string Namespace { get; set; }
    public required string Name { get; set; }
    public long RolloutVersion { get; set; }
    public required string Phase { get; set; }
    public int Step { get; set; }
    public int StepCount { get; set; }
    public int Weight { get; set; }
    public DateTimeOffset StepStartedAt { get; set; }
    public int ConsecutiveFailures { get; set; }
    public string? Message { get; set; }

    /// <summary>The last analysis as JSON (metric, value, threshold, requests counted).</summary>
    public string? LastAnalysis { get; set; }

    /// <summary>The decisions as a JSON array, newest last.</summary>
    public required string History { get; set; }

    /// <summary>Every analysis interval judged since the rollout (re)started, as a JSON array, newest last.</summary>
    public required string Analyses { get; set; }

    public string? PendingCommand { get; set; }
    public string? PendingActor { get; set; }
    public DateTimeOffset? PendingAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
