namespace Meshwork.Model.Resources;

/// <summary>
/// Gateway API TCPRoute (and Istio VirtualService <c>tcp:</c>) semantics: connections an app opens
/// to <see cref="Port"/> on its sidecar go, one connection at a time, to a backend picked by weight.
/// TCP carries no host or path, so the port alone selects the route and a route has one rule.
/// </summary>
public sealed record TcpRoute : Resource
{
    public override ResourceKind Kind => ResourceKind.TcpRoute;

    /// <summary>The service whose TCP traffic the route governs (its parent, as in GAMMA); in the route's namespace.</summary>
    public string Service { get; init; } = "";

    /// <summary>The port every sidecar's outbound side listens on for this route; one route per port in the mesh.</summary>
    public int Port { get; init; }

    public IReadOnlyList<TcpRouteRule> Rules { get; init; } = [];
}

public sealed record TcpRouteRule
{
    /// <summary>Optional name, shown in metrics and the portal.</summary>
    public string? Name { get; init; }

    /// <summary>Weighted service versions; the destination sidecar relays to its app's <see cref="Service.Port"/>.</summary>
    public IReadOnlyList<BackendRef> BackendRefs { get; init; } = [];
}
