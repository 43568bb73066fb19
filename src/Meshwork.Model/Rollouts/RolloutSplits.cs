using Meshwork.Model.Resources;

namespace Meshwork.Model.Rollouts;

/// <summary>
/// Which route rules a rollout moves: every HttpRoute rule in the rollout's namespace with backendRefs
/// to both its stable and its canary version. The controller writes those rules' weights; the canary
/// sliders ask before a person moves one under a live rollout.
/// </summary>
public static class RolloutSplits
{
    public static bool Covers(HttpRouteRule rule, Rollout rollout) =>
        rule.BackendRefs.Any(b => Is(b, rollout, rollout.StableVersion)) && rule.BackendRefs.Any(b => Is(b, rollout, rollout.CanaryVersion));

    /// <summary>True for the backend of <paramref name="rollout"/>'s service at <paramref name="version"/> (a backend without namespace is in the route's, the rollout's).</summary>
    public static bool Is(BackendRef backend, Rollout rollout, string version) =>
        backend.Service == rollout.Service && (backend.Namespace ?? rollout.Metadata.Namespace) == rollout.Metadata.Namespace && backend.Version == version;
}
