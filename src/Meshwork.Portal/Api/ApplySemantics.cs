using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.Portal.Api;

/// <summary>
/// "Apply" (kubectl apply, GitOps): a resource without a version replaces whatever is stored, one
/// with a version must still be current. Shared by POST /api/v1/apply and the portal's YAML editor.
/// </summary>
public static class ApplySemantics
{
    /// <summary>
    /// Gives each unversioned resource the version stored now (0 when new). The versions read here
    /// are checked again at commit, so a change made in between is still a conflict, never lost.
    /// </summary>
    public static async Task<IReadOnlyList<Resource>> ResolveVersionsAsync(ResourceService store, IReadOnlyList<Resource> resources, CancellationToken ct = default)
    {
        var resolved = new List<Resource>(resources.Count);
        foreach (var resource in resources)
        {
            if (resource.Metadata.Version != 0)
            {
                resolved.Add(resource);
                continue;
            }
            var current = await store.GetAsync(resource.Key, ct);
            resolved.Add(current is null ? resource : resource with { Metadata = resource.Metadata with { Version = current.Resource.Metadata.Version } });
        }
        return resolved;
    }
}
