using Meshwork.Model.Resources;

namespace Meshwork.Portal.Api;

/// <summary>The URL segment of each resource kind under /api/v1 (lower-case plural, as Kubernetes does).</summary>
public static class ApiKinds
{
    public static readonly IReadOnlyDictionary<ResourceKind, string> Segments = new Dictionary<ResourceKind, string>
    {
        [ResourceKind.Service] = "services",
        [ResourceKind.HttpRoute] = "httproutes",
        [ResourceKind.ResiliencePolicy] = "resiliencepolicies",
        [ResourceKind.AccessPolicy] = "accesspolicies",
        [ResourceKind.Rollout] = "rollouts",
        [ResourceKind.MeshSettings] = "meshsettings",
        [ResourceKind.TcpRoute] = "tcproutes",
    };

    public static string Segment(ResourceKind kind) => Segments[kind];

    public static bool TryParse(string segment, out ResourceKind kind)
    {
        foreach (var (k, s) in Segments)
        {
            if (string.Equals(s, segment, StringComparison.OrdinalIgnoreCase))
            {
                kind = k;
                return true;
            }
        }
        kind = default;
        return false;
    }

    public static string PathOf(ResourceKey key) => $"/api/v1/{Segment(key.Kind)}/{Uri.EscapeDataString(key.Namespace)}/{Uri.EscapeDataString(key.Name)}";
}
