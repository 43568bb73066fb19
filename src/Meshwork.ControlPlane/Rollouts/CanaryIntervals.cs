using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Store.Signals;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// Cuts each live rollout's traffic into analysis intervals: remembers the canary's and stable's
/// counters when an interval starts and, once <see cref="RolloutAnalysis.Interval"/> has passed,
/// judges the difference. A new weight (or mirror) starts a new interval, so an interval never mixes two.
/// The counters are every replica's (<see cref="VersionTotalsStore"/>, merged by <see cref="FleetCounts"/>), so the
/// proxies connected to other replicas count too. Held in memory by the leader only: a new leader starts its first
/// interval when it takes over.
/// </summary>
public sealed class CanaryIntervals(VersionTotalsStore totals)
{
    private readonly Dictionary<(string Namespace, string Name), Interval> open = [];

    private sealed record Interval(DateTimeOffset Started, int Weight, int? Mirror, VersionReading Canary, VersionReading Stable);

    /// <summary>The analysis of the interval that just ended, or null while it runs (or when nothing reaches the canary).</summary>
    public async Task<RolloutAnalysisResult?> TakeAsync(Rollout rollout, RolloutStatus status, DateTimeOffset now, CancellationToken ct)
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
        var canary = await totals.ReadAsync(rollout.Metadata.Namespace, rollout.Service, rollout.CanaryVersion, ct);
        var stable = await totals.ReadAsync(rollout.Metadata.Namespace, rollout.Service, rollout.StableVersion, ct);
        if (!open.TryGetValue(key, out var interval) || interval.Weight != status.Weight || interval.Mirror != mirror)
        {
            open[key] = new Interval(now, status.Weight, mirror, canary, stable);
            return null;
        }
        if (now - interval.Started < rollout.Analysis.Interval) return null;
        open[key] = new Interval(now, status.Weight, mirror, canary, stable);
        return CanaryAnalysis.Evaluate(rollout.Analysis, FleetCounts.Since(canary, interval.Canary), FleetCounts.Since(stable, interval.Stable), status.Weight, now - interval.Started, now);
    }

    /// <summary>Drops intervals of rollouts that are gone, and all of them when this replica stops leading.</summary>
    public void Retain(IReadOnlySet<(string Namespace, string Name)> live)
    {
        foreach (var key in open.Keys.Where(k => !live.Contains(k)).ToList()) open.Remove(key);
    }
}
