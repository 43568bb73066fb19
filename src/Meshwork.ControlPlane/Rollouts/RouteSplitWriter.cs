using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Model.Serialization;
using Meshwork.Store;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// Moves a rollout's weight the way a person's canary slider does: every HttpRoute rule in the
/// rollout's namespace that splits its service between the stable and the canary version gets
/// canary = weight, stable = 100 - weight, stored through <see cref="ResourceService"/> (validated,
/// versioned, audited) with the controller as actor. While the rollout is live and has a
/// <see cref="Rollout.CanaryHeader"/>, each such rule is preceded by its A/B rule (<see cref="AbRules"/>):
/// the same matches plus the header, to the canary only, as Flagger's A/B testing routes. During a mirror
/// step each such rule also copies its requests to the canary (<see cref="CanaryMirrors"/>). A route
/// already as it must be is not written again, so a controller resuming after a crash makes no extra change.
/// </summary>
public sealed class RouteSplitWriter(IServiceScopeFactory scopes)
{
    public static readonly ChangeActor Actor = new(RolloutProgression.ControllerActor, ChangeSource.RolloutController);

    /// <summary>
    /// Null when every split carries <paramref name="weight"/> and the canary mirror of <paramref name="mirrorPercent"/> (none when null),
    /// and its A/B rule while <paramref name="live"/>; otherwise why it could not be set.
    /// </summary>
    public async Task<string?> SetAsync(Rollout rollout, int weight, bool live, int? mirrorPercent, CancellationToken ct)
    {
        var ns = rollout.Metadata.Namespace;
        var (concerned, problem) = await RewriteAsync(ns, rules =>
        {
            var own = rules.Where(rule => !AbRules.IsOf(rule, rollout.Metadata.Name)).ToList();
            if (!own.Any(rule => RolloutSplits.Covers(rule, rollout))) return null;
            var header = live ? rollout.CanaryHeader : null;
            var result = new List<HttpRouteRule>();
            foreach (var rule in own)
            {
                if (!RolloutSplits.Covers(rule, rollout))
                {
                    result.Add(rule);
                    continue;
                }
                // The A/B rule copies the split's filters: never the mirror, which would copy canary requests to the canary.
                var plain = CanaryMirrors.Set(rule, rollout, percent: null);
                if (header is not null)
                    result.Add(AbRules.For(plain, rollout.Metadata.Name, result.Count(r => AbRules.IsOf(r, rollout.Metadata.Name)), header,
                        rule.BackendRefs.First(b => RolloutSplits.Is(b, rollout, rollout.CanaryVersion))));
                result.Add(CanaryMirrors.Set(Weighted(plain, rollout, weight), rollout, mirrorPercent));
            }
            return result;
        }, ct);
        return concerned > 0 ? problem
            : $"no HttpRoute in namespace {ns} has a rule with backendRefs to both {rollout.Service} {rollout.StableVersion} and " +
              $"{rollout.Service} {rollout.CanaryVersion}; add both versions to one rule so the rollout can move traffic between them";
    }

    /// <summary>
    /// Removes what a deleted rollout added to the routes of its namespace: its A/B rules and, found through its last
    /// stored spec, its canary mirror. Null when none is left.
    /// </summary>
    public async Task<string?> RemoveOwnRulesAsync(string ns, string rolloutName, CancellationToken ct)
    {
        var last = await LastSpecAsync(ns, rolloutName, ct);
        var (_, problem) = await RewriteAsync(ns, rules => rules
            .Where(r => !AbRules.IsOf(r, rolloutName))
            .Select(r => last is not null && RolloutSplits.Covers(r, last) ? CanaryMirrors.Set(r, last, percent: null) : r)
            .ToList(), ct);
        return problem;
    }

    /// <summary>The last version of a deleted rollout (its revisions outlive it).</summary>
    private async Task<Rollout?> LastSpecAsync(string ns, string name, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var revisions = await scope.ServiceProvider.GetRequiredService<ResourceService>().ListRevisionsAsync(new ResourceKey(ResourceKind.Rollout, ns, name), ct);
        return revisions.Select(r => r.Resource).OfType<Rollout>().LastOrDefault();
    }

    /// <summary>
    /// Applies <paramref name="rewrite"/> to the rules of every HttpRoute in <paramref name="ns"/> (null: the route is not
    /// the rollout's) and stores the routes whose rules changed: how many routes were the rollout's, and why the first
    /// refused write was refused.
    /// </summary>
    private async Task<(int Concerned, string? Problem)> RewriteAsync(string ns, Func<IReadOnlyList<HttpRouteRule>, IReadOnlyList<HttpRouteRule>?> rewrite,
        CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var routes = (await store.ListAsync(ResourceKind.HttpRoute, ns, ct)).Select(s => (HttpRoute)s.Resource).ToList();
        var concerned = 0;
        foreach (var route in routes)
        {
            if (rewrite(route.Rules) is not { } rules) continue;
            concerned++;
            if (Same(rules, route.Rules)) continue;
            var result = await store.ApplyAsync(route with { Rules = rules }, Actor, ct);
            if (result is not ChangeResult.Applied)
                return (concerned, $"HttpRoute {ns}/{route.Metadata.Name} not changed ({Describe(result)}); trying again");
        }
        return (concerned, null);
    }

    private static bool Same(IReadOnlyList<HttpRouteRule> a, IReadOnlyList<HttpRouteRule> b) =>
        JsonSerializer.Serialize(a, MeshworkJson.Options) == JsonSerializer.Serialize(b, MeshworkJson.Options);

    private static string Describe(ChangeResult result) => result is ChangeResult.Invalid invalid
        ? $"invalid: {string.Join("; ", invalid.Validation.Errors)}"
        : result.GetType().Name;

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
