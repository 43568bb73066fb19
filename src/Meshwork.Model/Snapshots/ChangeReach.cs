using Meshwork.Model.Resources;

namespace Meshwork.Model.Snapshots;

/// <summary>
/// Which proxies a pending change reaches: those whose compiled snapshot differs with the change
/// applied. The same compiler the control plane runs decides, so the preview names exactly the
/// proxies that will be sent a new configuration (live instances and certificates are left out on
/// both sides: they do not depend on the change).
/// </summary>
public static class ChangeReach
{
    /// <param name="stored">Every stored resource.</param>
    /// <param name="changed">The resource as it would be stored (replacing the one with its key, or added).</param>
    /// <param name="proxies">The proxies to check, e.g. the connected ones.</param>
    public static IReadOnlyList<ProxyIdentity> ProxiesChangedBy(IReadOnlyList<Resource> stored, Resource changed, IEnumerable<ProxyIdentity> proxies)
    {
        var after = stored.Where(r => r.Key != changed.Key).Append(changed).ToList();
        var (meshBefore, meshAfter) = (SnapshotCompiler.Prepare(stored, [], meshTls: false), SnapshotCompiler.Prepare(after, [], meshTls: false));
        return proxies.Where(proxy => Hash(stored, meshBefore, proxy) != Hash(after, meshAfter, proxy)).ToList();
    }

    private static string Hash(IReadOnlyList<Resource> resources, MeshCompilation mesh, ProxyIdentity proxy) =>
        SnapshotCompiler.Compile(new SnapshotInputs { Resources = resources, Proxy = proxy }, mesh).Hash;
}
