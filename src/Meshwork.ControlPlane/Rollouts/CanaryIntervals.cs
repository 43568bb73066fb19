using Meshwork.ControlPlane.Stats;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// Cuts each live rollout's traffic into analysis intervals: remembers the canary's and stable's
/// counters when an interval starts and, once <see cref="RolloutAnalysis.Interval"/> has passed,
/// judges the difference. A new weight (or mirror) starts a new interval, so an interval never mixes two.
/// Held in memory by the leader only: a new leader starts its first interval when it takes over.
/// </summary>
public sealed class CanaryIntervals(StatsAggregator stats)
{
    private readonly Dictionary<(string Namespace, string Name), Interval> open = [];

    private sealed record Interval(DateTimeOffset Started, int Weight, int? Mirror, SignalTotals Canary, SignalTotals Stable);

    /// <summary>The analysis of the interval that just ended, or null while it runs (or when nothing reaches the canary).</summary>
    public RolloutAnalysisResult? Take(Rollout rollout, RolloutStatus status, DateTimeOffset now)
    {
        var key = (rollout.Metadata.Namespace, rollout.Metadata.Name);
        // At 0 % the canary is judged on what still reaches it: the copies of a mirror step, or the A/B requests
        // matching canaryHeader (its inbound counters count both like any request).
        var mirror = RolloutStatuses.MirrorPercent(rollout, status);
        if (!RolloutStatuses.IsLive(status.Phase) || !RolloutStatuses.CanaryReceivesTraffic(rollout, status))
        {
            open.Remove(key);
            return null;
        }
        var canary = stats.Totals(rollout.Service, rollout.Metadata.Namespace, rollout.CanaryVersion);
        var stable = stats.Totals(rollout.Service, rollout.Metadata.Namespace, rollout.StableVersion);
        if (!open.TryGetValue(key, out var interval) || interval.Weight != status.Weight || interval.Mirror != mirror)
        {
            open[key] = new Interval(now, status.Weight, mirror, canary, stable);
            return null;
        }
        if (now - interval.Started < rollout.Analysis.Interval) return null;
        open[key] = new Interval(now, status.Weight, mirror, canary, stable);
        return CanaryAnalysis.Evaluate(rollout.Analysis, canary.Since(interval.Canary), stable.Since(interval.Stable), status.Weight, now - interval.Started, now);
    }

    /// <summary>Drops intervals of rollouts that are gone, and all of them when this replica stops leading.</summary>
    public void Retain(IReadOnlySet<(string Namespace, string Name)> live)
    {
        foreach (var key in open.Keys.Where(k => !live.Contains(k)).ToList()) open.Remove(key);
    }
}
