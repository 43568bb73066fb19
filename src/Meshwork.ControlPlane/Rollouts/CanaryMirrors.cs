using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// The requestMirror filter a rollout's mirror step adds to each rule it splits: a share of the rule's
/// requests copied to the canary, whose answers the proxy drops. The controller owns every requestMirror
/// filter to the canary version on those rules: it finds its own by that target, to replace or remove them.
/// </summary>
public static class CanaryMirrors
{
    /// <summary><paramref name="split"/> without the rollout's mirror, then with a mirror of <paramref name="percent"/> when given.</summary>
    public static HttpRouteRule Set(HttpRouteRule split, Rollout rollout, int? percent)
    {
        var filters = split.Filters.Where(f => !IsOf(f, rollout)).ToList();
        if (percent is { } share)
        {
            var canary = split.BackendRefs.First(b => RolloutSplits.Is(b, rollout, rollout.CanaryVersion));
            filters.Add(new HttpRouteFilter
            {
                Type = HttpRouteFilterType.RequestMirror,
                RequestMirror = new RequestMirror { BackendRef = canary with { Weight = 1 }, Percent = share },
            });
        }
        return filters.SequenceEqual(split.Filters) ? split : split with { Filters = filters };
    }

    private static bool IsOf(HttpRouteFilter filter, Rollout rollout) =>
        filter is { Type: HttpRouteFilterType.RequestMirror, RequestMirror.BackendRef: { } target } && RolloutSplits.Is(target, rollout, rollout.CanaryVersion);
}
