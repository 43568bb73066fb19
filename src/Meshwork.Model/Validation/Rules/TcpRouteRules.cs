using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>Gateway API TCPRoute rules: a known parent service, a port no other TcpRoute holds, one rule of weighted backends.</summary>
internal static class TcpRouteRules
{
    public static void Check(Checks checks, TcpRoute route)
    {
        var ns = route.Metadata?.Namespace ?? ResourceMetadata.DefaultNamespace;
        checks.KnownService("service", route.Service, ns);
        checks.Port("port", route.Port);
        CheckPortHolder(checks, route, ns);
        if (route.Rules is not { Count: 1 })
        {
            checks.Error("rules", $"must have exactly one rule (a TCP connection carries nothing else to match on, so the port selects the route), had {route.Rules?.Count ?? 0}");
            return;
        }
        checks.Each("rules", route.Rules, (path, rule) =>
        {
            checks.OptionalDnsLabel($"{path}.name", rule.Name);
            HttpRouteRules.WeightedBackends(checks, $"{path}.backendRefs", rule.BackendRefs, ns);
            if (rule.BackendRefs is { Count: 0 })
                checks.Error($"{path}.backendRefs", "must name at least one backend: a connection with nowhere to go is refused");
        });
    }

    /// <summary>
    /// Every sidecar listens on every TcpRoute's port, whatever its namespace, so a port belongs to one
    /// route in the mesh; the route's own stored copy is not a rival.
    /// </summary>
    private static void CheckPortHolder(Checks checks, TcpRoute route, string ns)
    {
        var holder = checks.Context.TcpRoutes
            .Where(o => o?.Metadata is { Name: not null } m && o.Port == route.Port
                && !(m.Name == route.Metadata?.Name && (m.Namespace ?? ResourceMetadata.DefaultNamespace) == ns))
            .Select(o => $"{o.Metadata.Namespace}/{o.Metadata.Name}")
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();
        if (holder is not null)
            checks.Error("port", $"port {route.Port} already belongs to TcpRoute '{holder}'; sidecars listen on a route's port for the whole mesh, so pick another port");
    }
}
