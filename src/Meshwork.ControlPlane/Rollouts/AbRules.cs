using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// The A/B rules a live rollout with a canaryHeader puts before each rule that splits its versions:
/// that rule's matches (every path when it has none) each narrowed by the header, to the canary only.
/// Named "ab-ROLLOUT" (the first) and "ab-ROLLOUT-2", "ab-ROLLOUT-3"... so the controller finds its
/// own again, to update or remove them, even after the rollout is deleted.
/// </summary>
public static class AbRules
{
    private const string Prefix = "ab-";
    private const int MaxNameLength = 63;

    /// <summary>Room left for "-16", the suffix of the last of at most 16 rules in a route.</summary>
    private const int MaxBaseLength = MaxNameLength - 3;

    public static HttpRouteRule For(HttpRouteRule split, string rolloutName, int index, HeaderMatch header, BackendRef canary)
    {
        IReadOnlyList<HttpRouteMatch> matches = split.Matches.Count == 0
            ? [new HttpRouteMatch { Headers = [header] }]
            : split.Matches.Select(m => m with
            {
                Headers = m.Headers.Where(h => !string.Equals(h.Name, header.Name, StringComparison.OrdinalIgnoreCase)).Append(header).ToList(),
            }).ToList();
        return split with { Name = Name(rolloutName, index), Matches = matches, BackendRefs = [canary with { Weight = 1 }] };
    }

    public static bool IsOf(HttpRouteRule rule, string rolloutName)
    {
        if (rule.Name is not { } name) return false;
        var first = Name(rolloutName, 0);
        return name == first || (name.StartsWith(first + "-", StringComparison.Ordinal) && int.TryParse(name.AsSpan(first.Length + 1), out var n) && n >= 2);
    }

    private static string Name(string rolloutName, int index)
    {
        var name = (Prefix + rolloutName)[..Math.Min(Prefix.Length + rolloutName.Length, MaxBaseLength)].TrimEnd('-');
        return index == 0 ? name : $"{name}-{index + 1}";
    }
}
