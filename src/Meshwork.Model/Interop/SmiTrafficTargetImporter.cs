using System.Text.RegularExpressions;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// SMI TrafficTarget (access.smi-spec.io v1alpha1-v1alpha3) as an ALLOW AccessPolicy: the
/// destination service account is the service, the sources are principals, each HTTPRouteGroup
/// match an operation. Access policy paths are exact, prefix or suffix patterns, so a pathRegex
/// that is not one of those cannot be said; such a match is left out, which allows less, never more.
/// </summary>
internal static partial class SmiTrafficTargetImporter
{
    public static void Translate(DocumentReader document, ImportSession session)
    {
        var metadata = document.Metadata();
        if (metadata is null)
            return;
        // v1alpha1 keeps the fields at the top level (rules were "specs"), later versions under spec.
        var holder = document.Root.Field("spec") ?? document.Root;
        var destination = holder.Field("destination");
        if (destination is null)
        {
            document.Error(holder.FieldPath("destination"), "is required");
            return;
        }
        destination.Ignore("kind", "port");
        var ns = destination.String("namespace") ?? metadata.Namespace;
        if (ns != metadata.Namespace)
        {
            document.Error(destination.FieldPath("namespace"), $"a Meshwork access policy protects a service of its own namespace ('{metadata.Namespace}')");
            return;
        }
        var sources = holder.Items("sources").Select(s =>
        {
            s.Ignore("kind");
            return $"*/ns/{s.String("namespace") ?? metadata.Namespace}/sa/{s.String("name")}";
        }).ToList();
        if (sources.Count == 0)
        {
            // No sources would read as "any caller" in Meshwork: never widen an allow list.
            document.Error(holder.FieldPath("sources"), "at least one source is required");
            return;
        }
        var rules = new List<AccessRule>();
        foreach (var reference in holder.Has("rules") ? holder.Items("rules") : holder.Items("specs"))
        {
            var kind = reference.String("kind");
            var name = reference.String("name") ?? "";
            var wanted = reference.Strings("matches");
            if (kind != "HTTPRouteGroup")
            {
                document.Warning(reference.Path, $"'{kind}' rules have no equivalent (HTTP only); left out, so they allow nothing");
                continue;
            }
            if (!session.RouteGroups.TryGetValue((metadata.Namespace, name), out var group))
            {
                document.Error(reference.FieldPath("name"), $"HTTPRouteGroup '{name}' is not in the file; put it in the same import");
                continue;
            }
            foreach (var match in group.Where(m => wanted.Count == 0 || wanted.Contains(m.Name)))
            {
                if (Rule(match, sources) is { } rule)
                    rules.Add(rule);
                else
                    document.Warning(reference.Path, $"match '{match.Name}' of HTTPRouteGroup '{name}' uses a path or header pattern access policies cannot express (exact, prefix*, *suffix); left out, so it allows nothing");
            }
        }
        session.Add(new AccessPolicy
        {
            Metadata = metadata,
            Service = destination.String("name"),
            Action = AccessAction.Allow,
            Rules = rules,
        }, document);
    }

    private static AccessRule? Rule(SmiRouteMatch match, IReadOnlyList<string> principals)
    {
        string? path = null;
        if (match.PathRegex is { } regex)
        {
            path = AccessPath(regex);
            if (path is null)
                return null;
        }
        var when = new List<AccessCondition>();
        foreach (var (name, value) in match.Headers)
        {
            if (Glob(value) is not { } glob)
                return null;
            when.Add(new AccessCondition { Header = name, Values = [glob] });
        }
        return new AccessRule
        {
            From = [new AccessSource { Principals = principals }],
            To = [new AccessOperation { Methods = match.Methods.Contains("*") ? [] : match.Methods, Paths = path is null ? [] : [path] }],
            When = when,
        };
    }

    /// <summary>SMI anchors pathRegex at the start: a literal is a prefix ("/api*"), "^/x$" is exact, a literal followed by ".*" a prefix.</summary>
    private static string? AccessPath(string regex)
    {
        var anchored = regex.EndsWith('$');
        var body = (regex.StartsWith('^') ? regex[1..] : regex).TrimEnd('$');
        if (body.EndsWith(".*", StringComparison.Ordinal))
            return Literal(body[..^2]) is { } prefix ? prefix + "*" : null;
        return Literal(body) is not { } literal ? null : anchored ? literal : literal + "*";
    }

    /// <summary>A header regex as an access glob: a literal, or ".*" for any value.</summary>
    private static string? Glob(string regex) => regex == ".*" ? "*" : Literal(regex);

    private static string? Literal(string pattern) => RegexChars().IsMatch(pattern) ? null : pattern;

    [GeneratedRegex(@"[.*+?()\[\]{}|^$\\]", RegexOptions.CultureInvariant)]
    private static partial Regex RegexChars();
}
