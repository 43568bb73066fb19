using Meshwork.Model.Rollouts;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// The canary-vs-stable chart of one rollout: per analysis interval the controller judged (oldest
/// first), the canary's and the stable version's success rate and p99, with the interval's end as label.
/// </summary>
public sealed record RolloutAnalysisChart(
    IReadOnlyList<string> Labels,
    IReadOnlyList<double> CanarySuccessRate, IReadOnlyList<double> StableSuccessRate,
    IReadOnlyList<double> CanaryP99Ms, IReadOnlyList<double> StableP99Ms)
{
    /// <summary>About eight time labels: a label under each of 120 points would overlap.</summary>
    private const int MaxLabels = 8;

    public int Count => Labels.Count;

    public static RolloutAnalysisChart From(RolloutStatus status)
    {
        var analyses = status.Analyses;
        var every = Math.Max(1, (int)Math.Ceiling(analyses.Count / (double)MaxLabels));
        return new RolloutAnalysisChart(
            analyses.Select((a, i) => i % every == 0 ? a.At.UtcDateTime.ToString("HH:mm:ss") : "").ToList(),
            analyses.Select(a => a.CanarySuccessRatePercent).ToList(),
            analyses.Select(a => a.StableSuccessRatePercent).ToList(),
            analyses.Select(a => a.CanaryP99Ms).ToList(),
            analyses.Select(a => a.StableP99Ms).ToList());
    }
}
