using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;

namespace Meshwork.ControlPlane.Compilation;

/// <summary>
/// Narrows a desired-state change to the proxies it can affect, where that is certain. Every
/// sidecar carries every service, route and resilience policy, so those changes touch all proxies;
/// an access policy only reaches the inbound side of the proxies it selects (its namespace, and its
/// service when set), so a change made only of access policies recompiles just those.
/// </summary>
public static class DesiredStateDiff
{
    /// <summary>The old and new versions of the changed access policies, or null when anything else changed.</summary>
    public static IReadOnlyList<AccessPolicy>? ChangedAccessPoliciesOnly(DesiredState before, DesiredState after)
    {
        var old = before.Resources.ToDictionary(r => r.Key);
        var current = after.Resources.ToDictionary(r => r.Key);
        var changed = new List<AccessPolicy>();
        foreach (var key in old.Keys.Union(current.Keys))
        {
            var was = old.GetValueOrDefault(key);
            var now = current.GetValueOrDefault(key);
            if (was is not null && now is not null && was.Metadata.Version == now.Metadata.Version) continue;
            if (key.Kind != ResourceKind.AccessPolicy) return null;
            if (was is AccessPolicy wasPolicy) changed.Add(wasPolicy);
            if (now is AccessPolicy nowPolicy) changed.Add(nowPolicy);
        }
        return changed;
    }

    /// <summary>Whether the policy is compiled into this proxy's inbound settings (mirrors SnapshotCompiler's selection).</summary>
    public static bool Selects(AccessPolicy policy, ProxyIdentity proxy) =>
        policy.Metadata.Namespace == proxy.Namespace && (policy.Service is null || policy.Service == proxy.Service);
}
