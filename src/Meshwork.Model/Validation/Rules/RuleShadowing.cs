using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>
/// Warns about rules that can never match. Proxies try matches in Gateway API precedence
/// (see <see cref="RoutePrecedence"/>), not simply in rule order, so a rule is unreachable when
/// every one of its matches is covered by a match that is tried first: one whose conditions are
/// a subset of its own (same or broader path, no method or the same one, a subset of its
/// header and query conditions). A rule without matches matches everything ("prefix /").
/// </summary>
internal static class RuleShadowing
{
    public static void Check(Checks checks, IReadOnlyList<HttpRouteRule?>? rules)
    {
        if (rules is null)
            return;
        var entries = RoutePrecedence.Order(rules);
        var positionsByRule = Enumerable.Range(0, entries.Count).GroupBy(i => entries[i].RuleIndex).OrderBy(g => g.Key);
        foreach (var group in positionsByRule)
        {
            (int Rule, int Match)? coveredBy = null;
            var allCovered = true;
            foreach (var position in group)
            {
                var entry = entries[position];
                // Only matches tried before this one can take its requests.
                var cover = entries.Take(position).FirstOrDefault(e => e.RuleIndex != entry.RuleIndex && Covers(e.Match, entry.Match));
                if (cover is null)
                {
                    allCovered = false;
                    break;
                }
                coveredBy ??= (cover.RuleIndex, cover.MatchIndex);
            }
            if (allCovered && coveredBy is { } by)
            {
                var which = rules[by.Rule]?.Matches is { Count: > 0 } ? $"rules[{by.Rule}].matches[{by.Match}]" : $"rules[{by.Rule}] (no matches: every request)";
                checks.Warning($"rules[{group.Key}]",
                    $"this rule can never match: {which} is tried first and matches every request this rule matches");
            }
        }
    }

    /// <summary>True when every request <paramref name="later"/> matches is also matched by <paramref name="earlier"/>.</summary>
    internal static bool Covers(HttpRouteMatch earlier, HttpRouteMatch later)
    {
        if (!PathCovers(earlier.Path, later.Path))
            return false;
        if (earlier.Method is not null && earlier.Method != later.Method)
            return false;
        var laterHeaders = later.Headers ?? [];
        if ((earlier.Headers ?? []).Any(h => h is null || !laterHeaders.Any(l => l is not null
                && string.Equals(l.Name, h.Name, StringComparison.OrdinalIgnoreCase) && l.Type == h.Type && l.Value == h.Value)))
            return false;
        var laterQuery = later.QueryParams ?? [];
        return !(earlier.QueryParams ?? []).Any(q => q is null || !laterQuery.Any(l => l is not null
            && l.Name == q.Name && l.Type == q.Type && l.Value == q.Value));
    }

    private static bool PathCovers(PathMatch? earlier, PathMatch? later)
    {
        if (earlier is null || (earlier.Type == PathMatchType.PathPrefix && earlier.Value == "/"))
            return true;
        if (earlier.Value is null)
            return false;
        later ??= new PathMatch();
        if (later.Value is null)
            return false;
        return earlier.Type switch
        {
            PathMatchType.Exact => later.Type == PathMatchType.Exact && later.Value == earlier.Value,
            PathMatchType.RegularExpression => later.Type == PathMatchType.RegularExpression && later.Value == earlier.Value,
            // Gateway API prefixes match whole path segments: "/api" matches "/api" and "/api/x", not "/apix".
            _ => later.Type != PathMatchType.RegularExpression && UnderPrefix(later.Value, earlier.Value),
        };
    }

    private static bool UnderPrefix(string path, string prefix)
    {
        var trimmed = prefix.TrimEnd('/');
        return path.TrimEnd('/') == trimmed || path.StartsWith(trimmed + "/", StringComparison.Ordinal);
    }
}
