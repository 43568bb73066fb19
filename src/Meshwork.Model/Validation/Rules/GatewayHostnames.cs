using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>
/// A host name on a gateway belongs to one HttpRoute. Gateway API would merge the rules of
/// several routes for one host, but the snapshot compiler gives each gateway route its own
/// virtual host, and a proxy serves a host name from one virtual host: two routes claiming it
/// would leave one route's rules unreachable (and an exact name twice makes the proxy reject the
/// snapshot). Routes attached to a service are different: the compiler merges them in Gateway
/// API precedence, so they never conflict. A route without hostnames serves every host name ("*").
/// </summary>
internal static class GatewayHostnames
{
    public static void Check(Checks checks, HttpRoute route)
    {
        if (route.Metadata?.Name is not { } name)
            return;
        var ns = route.Metadata.Namespace ?? ResourceMetadata.DefaultNamespace;
        var gateways = Gateways(route, ns).Distinct().ToList();
        if (gateways.Count == 0)
            return;
        var others = checks.Context.HttpRoutes
            .Where(r => r?.Metadata is { Name: not null } m && !(m.Name == name && (m.Namespace ?? ResourceMetadata.DefaultNamespace) == ns))
            .OrderBy(r => r.Metadata.Namespace, StringComparer.Ordinal).ThenBy(r => r.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        var hostnames = Hostnames(route);
        for (var i = 0; i < hostnames.Count; i++)
        {
            var hostname = hostnames[i];
            if (hostname is null)
                continue;
            foreach (var gateway in gateways)
            {
                var rival = others.FirstOrDefault(o =>
                    Gateways(o, o.Metadata.Namespace ?? ResourceMetadata.DefaultNamespace).Contains(gateway)
                    && Hostnames(o).Contains(hostname, StringComparer.OrdinalIgnoreCase));
                if (rival is null)
                    continue;
                var rivalName = $"{rival.Metadata.Namespace}/{rival.Metadata.Name}";
                var (path, what) = route.Hostnames is { Count: > 0 }
                    ? ($"hostnames[{i}]", $"'{hostname}'")
                    : ("hostnames", "every host name (neither route lists hostnames)");
                checks.Error(path, $"gateway '{gateway.Namespace}/{gateway.Name}' already serves {what} through HttpRoute '{rivalName}'; "
                    + "a host name on a gateway belongs to one route: move these rules into that route, or use another host name");
                break;
            }
        }
    }

    private static IEnumerable<(string Namespace, string Name)> Gateways(HttpRoute route, string ns) =>
        (route.ParentRefs ?? [])
            .Where(p => p is { Kind: ParentKind.Gateway, Name: not null })
            .Select(p => (p.Namespace ?? ns, p.Name));

    /// <summary>The host names the route claims; none means all ("*"), as the compiler treats it.</summary>
    private static IReadOnlyList<string?> Hostnames(HttpRoute route) =>
        route.Hostnames is { Count: > 0 } hostnames ? hostnames : ["*"];
}
