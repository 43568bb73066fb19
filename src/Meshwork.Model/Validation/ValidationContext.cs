using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation;

/// <summary>
/// What the validator checks a resource against: the other resources known to exist (stored ones,
/// replaced or extended by those in the same batch). Routes, policies and rollouts name services
/// and versions, so an unknown one is an error; and some kinds allow only one resource per target
/// (one ResiliencePolicy or Rollout per service, one HttpRoute per gateway host name, one TcpRoute per port), so another
/// one already holding that target is an error too.
/// </summary>
public sealed record ValidationContext
{
    public static readonly ValidationContext Empty = new();

    /// <summary>
    /// The kinds <see cref="From"/> keeps: a caller loading stored state for the validator needs
    /// only these (the store loads exactly them).
    /// </summary>
    public static readonly IReadOnlySet<ResourceKind> Kinds = new HashSet<ResourceKind>
    {
        ResourceKind.Service, ResourceKind.HttpRoute, ResourceKind.ResiliencePolicy, ResourceKind.Rollout, ResourceKind.TcpRoute,
    };

    public IReadOnlyList<Service> Services { get; init; } = [];
    public IReadOnlyList<HttpRoute> HttpRoutes { get; init; } = [];
    public IReadOnlyList<ResiliencePolicy> ResiliencePolicies { get; init; } = [];
    public IReadOnlyList<Rollout> Rollouts { get; init; } = [];
    public IReadOnlyList<TcpRoute> TcpRoutes { get; init; } = [];

    /// <summary>Sorts <paramref name="resources"/> by kind in one pass, keeping the <see cref="Kinds"/>; nulls are skipped.</summary>
    public static ValidationContext From(IEnumerable<Resource> resources)
    {
        var services = new List<Service>();
        var routes = new List<HttpRoute>();
        var resilience = new List<ResiliencePolicy>();
        var rollouts = new List<Rollout>();
        var tcpRoutes = new List<TcpRoute>();
        foreach (var resource in resources ?? [])
        {
            switch (resource)
            {
                case Service s: services.Add(s); break;
                case HttpRoute r: routes.Add(r); break;
                case ResiliencePolicy p: resilience.Add(p); break;
                case Rollout r: rollouts.Add(r); break;
                case TcpRoute t: tcpRoutes.Add(t); break;
            }
        }
        return new() { Services = services, HttpRoutes = routes, ResiliencePolicies = resilience, Rollouts = rollouts, TcpRoutes = tcpRoutes };
    }

    /// <summary>The service named <paramref name="name"/> in <paramref name="ns"/>, or null.</summary>
    public Service? FindService(string? name, string? ns)
    {
        if (name is null)
            return null;
        ns ??= ResourceMetadata.DefaultNamespace;
        foreach (var service in Services)
        {
            if (service?.Metadata is { } m && m.Name == name && (m.Namespace ?? ResourceMetadata.DefaultNamespace) == ns)
                return service;
        }
        return null;
    }
}
