using System.Globalization;
using Meshwork.ControlPlane.Stats;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// Judges one analysis interval: the canary against the rollout's thresholds, and against the stable
/// version over the same interval. Too few canary requests say nothing (inconclusive, the step waits
/// instead of failing on noise), and neither does a canary failing a check that stable fails too
/// (a dependency is down for both): only a canary worse than the thresholds while stable meets them fails.
/// </summary>
public static class CanaryAnalysis
{
    public static RolloutAnalysisResult Evaluate(RolloutAnalysis spec, SignalTotals canary, SignalTotals stable,
        int canaryWeight, TimeSpan interval, DateTimeOffset at)
    {
        var checks = Checks(spec, canary);
        var result = new RolloutAnalysisResult
        {
            At = at,
            Verdict = AnalysisVerdict.Passed,
            Reason = "",
            Interval = interval,
            CanaryWeight = canaryWeight,
            CanaryRequests = canary.Requests,
            CanarySuccessRatePercent = Round(canary.SuccessRatePercent),
            CanaryP99Ms = Round(canary.P99Ms),
            StableRequests = stable.Requests,
            StableSuccessRatePercent = Round(stable.SuccessRatePercent),
            StableP99Ms = Round(stable.P99Ms),
            MinRequests = spec.MinRequests,
            Checks = checks,
        };
        if (canary.Requests < (ulong)spec.MinRequests)
            return result with
            {
                Verdict = AnalysisVerdict.Inconclusive,
                Checks = [],
                Reason = $"inconclusive: {canary.Requests} canary requests in {Seconds(interval)}, at least {spec.MinRequests} needed; the step waits",
            };
        var failed = checks.Where(c => !c.Passed).ToList();
        if (failed.Count == 0)
            return result with { Reason = "passed: " + string.Join(", ", checks.Select(Describe)) };
        var stableChecks = Checks(spec, stable);
        var stableFailsToo = stable.Requests >= (ulong)spec.MinRequests &&
                             failed.All(f => stableChecks.Single(s => s.Metric == f.Metric) is { Passed: false });
        var described = string.Join(", ", failed.Select(Describe)) + $" (stable over the same interval: {StableSummary(result)})";
        return stableFailsToo
            ? result with { Verdict = AnalysisVerdict.Inconclusive, Reason = $"inconclusive: stable fails too, so the canary is not to blame: {described}" }
            : result with { Verdict = AnalysisVerdict.Failed, Reason = $"failed: {described}" };
    }

    private static List<AnalysisCheck> Checks(RolloutAnalysis spec, SignalTotals signals)
    {
        var successRate = Round(signals.SuccessRatePercent);
        var p99 = Round(signals.P99Ms);
        var maxP99 = spec.MaxLatencyP99.TotalMilliseconds;
        return
        [
            new AnalysisCheck(SuccessRate, successRate, spec.MinSuccessRatePercent, successRate >= spec.MinSuccessRatePercent),
            new AnalysisCheck(LatencyP99, p99, maxP99, p99 <= maxP99),
        ];
    }

    public const string SuccessRate = AnalysisCheck.SuccessRate;
    public const string LatencyP99 = AnalysisCheck.LatencyP99;

    private static string Describe(AnalysisCheck check) => check.Metric == SuccessRate
        ? $"success rate {Number(check.Value)}% {(check.Passed ? ">=" : "<")} {Number(check.Threshold)}%"
        : $"p99 {Number(check.Value)} ms {(check.Passed ? "<=" : ">")} {Number(check.Threshold)} ms";

    private static string StableSummary(RolloutAnalysisResult r) =>
        $"{r.StableRequests} requests, success rate {Number(r.StableSuccessRatePercent)}%, p99 {Number(r.StableP99Ms)} ms";

    private static string Seconds(TimeSpan interval) => $"{Number(interval.TotalSeconds)} s";

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static double Round(double value) => Math.Round(value, 2);
}
