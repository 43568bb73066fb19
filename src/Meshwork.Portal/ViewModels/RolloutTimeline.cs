using System.Globalization;
using Meshwork.Model.Rollouts;

namespace Meshwork.Portal.ViewModels;

/// <summary>One decision on a rollout's timeline, with the measurements behind it spelled out.</summary>
/// <param name="Action">What happened: WeightSet, AnalysisFailed, RolledBack, Paused…</param>
/// <param name="Actor">Who caused it: the rollout controller or the operator who gave the command.</param>
/// <param name="ByOperator">True when a person's command caused it, not the controller on its own.</param>
/// <param name="Verdict">The analysis verdict, when an analysis made the decision.</param>
/// <param name="Checks">Per metric: what was measured against which threshold, and whether it held.</param>
/// <param name="Where">"step 2 of 4" or "after the last step", when the decision was made.</param>
/// <param name="Requests">The requests the analysis counted (canary, the minimum needed, stable).</param>
public sealed record RolloutTimelineEntry(
    DateTimeOffset At, string Action, string Actor, bool ByOperator, string Message, string Where, int Weight,
    AnalysisVerdict? Verdict, IReadOnlyList<string> Checks, string? Requests);

/// <summary>
/// A rollout's history as the Rollouts page's timeline shows it, newest first: every step, command and
/// analysis decision, each explained (metric, value, threshold, requests counted, verdict, actor, time).
/// </summary>
public static class RolloutTimeline
{
    public static IReadOnlyList<RolloutTimelineEntry> Entries(RolloutStatus status) =>
        status.History.Reverse().Select(d => Entry(d, status.StepCount)).ToList();

    private static RolloutTimelineEntry Entry(RolloutDecision decision, int steps)
    {
        var analysis = decision.Analysis;
        var where = decision.Step < steps ? $"step {decision.Step + 1} of {steps}" : "after the last step";
        return new RolloutTimelineEntry(
            decision.At, decision.Action, decision.Actor, decision.Actor != RolloutStatuses.ControllerActor, decision.Message, where, decision.Weight,
            analysis?.Verdict,
            analysis?.Checks.Select(Check).ToList() ?? [],
            analysis is null ? null : Requests(analysis));
    }

    /// <summary>"success rate 50% (needs ≥ 99%): failed".</summary>
    public static string Check(AnalysisCheck check) => check.Metric switch
    {
        AnalysisCheck.SuccessRate => $"success rate {Number(check.Value)}% (needs ≥ {Number(check.Threshold)}%): {Held(check)}",
        AnalysisCheck.LatencyP99 => $"p99 latency {Number(check.Value)} ms (needs ≤ {Number(check.Threshold)} ms): {Held(check)}",
        _ => $"{check.Metric} {Number(check.Value)} (threshold {Number(check.Threshold)}): {Held(check)}",
    };

    public static string Requests(RolloutAnalysisResult analysis) =>
        $"counted over {Number(analysis.Interval.TotalSeconds)} s at {analysis.CanaryWeight}% canary: " +
        $"canary {analysis.CanaryRequests} requests (at least {analysis.MinRequests} needed), {Number(analysis.CanarySuccessRatePercent)}% success, p99 {Number(analysis.CanaryP99Ms)} ms; " +
        $"stable {analysis.StableRequests} requests, {Number(analysis.StableSuccessRatePercent)}% success, p99 {Number(analysis.StableP99Ms)} ms";

    private static string Held(AnalysisCheck check) => check.Passed ? "passed" : "failed";

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
