using System.Text.RegularExpressions;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// SMI HTTPRouteGroup (specs.smi-spec.io v1alpha1-v1alpha4): named matches that TrafficSplits
/// refer to. It makes no resource itself. pathRegex is anchored at the start only (SMI), so it
/// becomes the full-match expression "pathRegex.*"; each listed method becomes its own match.
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
        var matches = new List<HttpRouteMatch>();
        foreach (var match in holder.Items("matches"))
        {
            match.Ignore("name");
            var path = match.String("pathRegex") is { } regex ? new PathMatch { Type = PathMatchType.RegularExpression, Value = FromStart(regex) } : null;
            var headers = Headers(match);
            var methods = match.Strings("methods").Where(m => m != "*").ToList();
            if (methods.Count == 0 || match.Strings("methods").Contains("*"))
                matches.Add(new HttpRouteMatch { Path = path, Headers = headers });
            else
                matches.AddRange(methods.Select(m => new HttpRouteMatch { Path = path, Method = m, Headers = headers }));
        }
        session.RouteGroups[(metadata.Namespace, metadata.Name)] = matches;
        document.Note(document.Root.Path, $"HTTPRouteGroup '{metadata.Name}' makes no resource; TrafficSplits that name it match its requests");
    }

    /// <summary>v1alpha4 writes headers as a list of one-entry maps, earlier versions as a map; values are regular expressions.</summary>
    private static IReadOnlyList<HeaderMatch> Headers(SpecNode match)
    {
        var list = match.Has("headers") && match.Field("headers") is { IsMapping: true }
            ? match.Entries("headers")
            : match.Items("headers").SelectMany(item => item.IsMapping ? item.EntriesOfSelf() : []).ToList();
        return list.Select(e => e.Value.Scalar() is { } value ? new HeaderMatch { Name = e.Key, Type = StringMatchType.RegularExpression, Value = value } : null)
            .OfType<HeaderMatch>().ToList();
    }

    private static string FromStart(string regex)
    {
        var pattern = regex.StartsWith('^') ? regex[1..] : regex;
        return pattern.EndsWith('$') && !pattern.EndsWith("\\$", StringComparison.Ordinal) ? pattern[..^1] : $"(?:{pattern}).*";
    }
}
