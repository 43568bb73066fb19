using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// SMI HTTPRouteGroup (specs.smi-spec.io v1alpha1-v1alpha4): named matches that TrafficSplits and
/// TrafficTargets refer to. It makes no resource itself.
/// </summary>
internal static class SmiHttpRouteGroupImporter
{
    public static void Translate(DocumentReader document, ImportSession session)
    {
        var metadata = document.Metadata();
        if (metadata is null)
            return;
        // v1alpha1 and v1alpha2 keep matches at the top level, later versions under spec.
        var holder = document.Root.Field("spec") ?? document.Root;
        session.RouteGroups[(metadata.Namespace, metadata.Name)] = holder.Items("matches")
            .Select(m => new SmiRouteMatch(m.String("name") ?? "", m.String("pathRegex"), m.Strings("methods"), Headers(m)))
            .ToList();
        document.Note(document.Root.Path, $"HTTPRouteGroup '{metadata.Name}' makes no resource; the TrafficSplits and TrafficTargets that name it use its matches");
    }

    /// <summary>A group match as route matches: pathRegex is anchored at the start only, so it becomes "(?:P).*"; one match per listed method ("*" or none: any).</summary>
    public static IEnumerable<HttpRouteMatch> RouteMatches(SmiRouteMatch match)
    {
        var path = match.PathRegex is { } regex ? new PathMatch { Type = PathMatchType.RegularExpression, Value = FromStart(regex) } : null;
        var headers = match.Headers.Select(h => new HeaderMatch { Name = h.Name, Type = StringMatchType.RegularExpression, Value = h.Value }).ToList();
        var methods = match.Methods.Where(m => m != "*").ToList();
        return methods.Count == 0 || match.Methods.Contains("*")
            ? [new HttpRouteMatch { Path = path, Headers = headers }]
            : methods.Select(m => new HttpRouteMatch { Path = path, Method = m, Headers = headers });
    }

    /// <summary>v1alpha4 writes headers as a list of one-entry maps, earlier versions as a map.</summary>
    private static IReadOnlyList<(string Name, string Value)> Headers(SpecNode match)
    {
        var entries = match.Field("headers") is { IsMapping: true }
            ? match.Entries("headers")
            : match.Items("headers").SelectMany(item => item.IsMapping ? item.EntriesOfSelf() : []).ToList();
        return entries.Select(e => (e.Key, Value: e.Value.Scalar())).Where(e => e.Value is not null).Select(e => (e.Key, e.Value!)).ToList();
    }

    private static string FromStart(string regex)
    {
        var pattern = regex.StartsWith('^') ? regex[1..] : regex;
        return pattern.EndsWith('$') && !pattern.EndsWith("\\$", StringComparison.Ordinal) ? pattern[..^1] : $"(?:{pattern}).*";
    }
}
