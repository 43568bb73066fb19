using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>
/// The order in which a proxy tries one route's matches: Gateway API precedence as the snapshot
/// compiler applies it (exact path, then regex, then prefix; longer paths first; then matches
/// with a method, more headers, more query params; ties keep declaration order). The shadowing
/// warning must use the same order as the proxy, or it would warn about the wrong rules.
/// </summary>
internal static class RoutePrecedence
{
    internal sealed record Entry(int RuleIndex, int MatchIndex, HttpRouteMatch Match);

    public static IReadOnlyList<Entry> Order(IReadOnlyList<HttpRouteRule?> rules)
    {
        var flat = new List<(Entry Entry, bool Explicit)>();
        for (var r = 0; r < rules.Count; r++)
        {
            if (rules[r] is not { } rule)
                continue;
            var matches = rule.Matches ?? [];
            if (matches.Count == 0)
                flat.Add((new Entry(r, 0, new HttpRouteMatch()), false));
            for (var m = 0; m < matches.Count; m++)
            {
                if (matches[m] is { } match)
                    flat.Add((new Entry(r, m, match), true));
            }
        }
        return flat
            .Select((x, order) => (x.Entry, x.Explicit, Order: order))
            .OrderBy(x => x.Explicit ? PathRank(x.Entry.Match.Path) : 2)
            .ThenByDescending(x => x.Explicit && x.Entry.Match.Path is { Type: not PathMatchType.RegularExpression, Value: { } v } ? v.Length : 0)
            .ThenByDescending(x => x.Entry.Match.Method is null ? 0 : 1)
            .ThenByDescending(x => x.Entry.Match.Headers?.Count ?? 0)
            .ThenByDescending(x => x.Entry.Match.QueryParams?.Count ?? 0)
            .ThenBy(x => x.Order)
            .Select(x => x.Entry)
            .ToList();
    }

    private static int PathRank(PathMatch? path) => path?.Type switch
    {
        PathMatchType.Exact => 0,
        PathMatchType.RegularExpression => 1,
        _ => 2,
    };
}
