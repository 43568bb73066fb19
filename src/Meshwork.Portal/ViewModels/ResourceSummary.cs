using Meshwork.Model.Resources;

namespace Meshwork.Portal.ViewModels;

/// <summary>One line that says what a resource does, for lists.</summary>
public static class ResourceSummary
{
    public static string Describe(Resource resource) => resource switch
    {
        Service s => $"port {s.Port}, {s.Protocol}, versions: {(s.Versions.Count == 0 ? "none" : string.Join(", ", s.Versions.Select(v => v.Name)))}",
        HttpRoute r => $"{r.Rules.Count} rule(s) for {(r.ParentRefs.Count == 0 ? "no parent" : string.Join(", ", r.ParentRefs.Select(p => p.Name)))}",
        ResiliencePolicy p => $"for {p.Service}: {string.Join(", ", Features(p))}",
        AccessPolicy a => $"{a.Action.ToString().ToUpperInvariant()} to {a.Service ?? "every service"}, {a.Rules.Count} rule(s)",
        Rollout r => $"{r.Service}: {r.StableVersion} → {r.CanaryVersion}, {r.Steps.Count} step(s)",
        MeshSettings m => $"default access {m.DefaultAccessMode}, trust domain {m.TrustDomain}",
        _ => resource.Kind.ToString(),
    };

    private static IEnumerable<string> Features(ResiliencePolicy p)
    {
        if (p.Retries is { } r)
            yield return $"{r.Attempts} retries";
        if (p.OutlierDetection is not null)
            yield return "outlier detection";
        if (p.HealthCheck is not null)
            yield return "health checks";
        if (p.RateLimit is not null)
            yield return "rate limit";
        if (p.ConnectionPool is not null)
            yield return "connection limits";
        yield return p.LoadBalancer.Policy.ToString();
    }
}
