using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Store;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// Moves a rollout's weight the way a person's canary slider does: every HttpRoute rule in the
/// rollout's namespace that splits its service between the stable and the canary version gets
/// canary = weight, stable = 100 - weight, stored through <see cref="ResourceService"/> (validated,
/// versioned, audited) with the controller as actor. A route already carrying the weight is not
/// written again, so a controller resuming after a crash makes no extra change.
/// </summary>
public sealed class RouteSplitWriter(IServiceScopeFactory scopes)
{
    public static readonly ChangeActor Actor = new(RolloutProgression.ControllerActor, ChangeSource.RolloutController);

    /// <summary>Null when every split carries <paramref name="weight"/>; otherwise why it could not be set.</summary>
    public async Task<string?> SetAsync(Rollout rollout, int weight, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var ns = rollout.Metadata.Namespace;
        var routes = (await store.ListAsync(ResourceKind.HttpRoute, ns, ct)).Select(s => (HttpRoute)s.Resource).ToList();
        var splitting = routes.Where(route => route.Rules.Any(rule => RolloutSplits.Covers(rule, rollout))).ToList();
        if (splitting.Count == 0)
            return $"no HttpRoute in namespace {ns} has a rule with backendRefs to both {rollout.Service} {rollout.StableVersion} and " +
                   $"{rollout.Service} {rollout.CanaryVersion}; add both versions to one rule so the rollout can move traffic between them";
        foreach (var route in splitting)
        {
            var rules = route.Rules.Select(rule => RolloutSplits.Covers(rule, rollout) ? Weighted(rule, rollout, weight) : rule).ToList();
            if (rules.SequenceEqual(route.Rules)) continue;
            var result = await store.ApplyAsync(route with { Rules = rules }, Actor, ct);
            if (result is not ChangeResult.Applied)
                return $"HttpRoute {ns}/{route.Metadata.Name} not changed ({result.GetType().Name}); trying again";
        }
        return null;
    }

    private static HttpRouteRule Weighted(HttpRouteRule rule, Rollout rollout, int weight)
    {
        var backends = rule.BackendRefs
            .Select(b => RolloutSplits.Is(b, rollout, rollout.CanaryVersion) ? b with { Weight = weight }
                : RolloutSplits.Is(b, rollout, rollout.StableVersion) ? b with { Weight = 100 - weight }
                : b)
            .ToList();
        return backends.SequenceEqual(rule.BackendRefs) ? rule : rule with { BackendRefs = backends };
    }
}
