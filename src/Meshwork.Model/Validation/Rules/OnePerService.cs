using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>
/// Kinds that allow one resource per service: two would leave it to chance which one applies.
/// A ResiliencePolicy is a service's client settings (Istio applies one DestinationRule per host;
/// the snapshot compiler could only pick one); a Rollout moves a service's traffic between two
/// versions (Flagger and Argo Rollouts allow one per target). The other resource is looked up
/// in the context, which holds the stored ones and the batch; the resource's own stored copy
/// (same namespace and name) is itself, not a rival.
/// </summary>
internal static class OnePerService
{
    public static void Check(Checks checks, ResiliencePolicy policy) =>
        Check(checks, policy, policy.Service, checks.Context.ResiliencePolicies, p => p.Service,
            "a service takes its client settings from one policy (as Istio applies one DestinationRule per host); change that policy, or delete it first");

    public static void Check(Checks checks, Rollout rollout) =>
        Check(checks, rollout, rollout.Service, checks.Context.Rollouts, r => r.Service,
            "one rollout at a time moves a service's traffic (as in Flagger and Argo Rollouts); delete that rollout first");

    private static void Check<T>(Checks checks, T resource, string? service, IReadOnlyList<T> others, Func<T, string?> serviceOf, string why)
        where T : Resource
    {
        if (service is null || resource.Metadata?.Name is not { } name)
            return;
        var ns = resource.Metadata.Namespace ?? ResourceMetadata.DefaultNamespace;
        var holder = others
            .Where(o => o?.Metadata is { Name: not null } m && (m.Namespace ?? ResourceMetadata.DefaultNamespace) == ns
                && m.Name != name && serviceOf(o) == service)
            .Select(o => o.Metadata.Name)
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();
        if (holder is not null)
            checks.Error("service", $"service '{service}' already has {resource.Kind} '{holder}'; {why}");
    }
}
