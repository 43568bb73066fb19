using Meshwork.ControlPlane.Compilation;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// Keeps only the route stats of rules that exist in the stored HttpRoutes: route names from a proxy
/// become keys of the per-route history, so a proxy (buggy, stale or hostile) must not be able to
/// make up series. A rule deleted a moment ago is dropped as well: its proxies are about to get the
/// snapshot without it. The set is rebuilt only when the desired state changes.
/// </summary>
public sealed class KnownRoutes
{
    /// <summary>More route entries than this in one report is not a proxy's snapshot: the report's routes are dropped whole.</summary>
    public const int MaxRoutesPerReport = 4096;

    private (DesiredState State, IReadOnlySet<string> Names) cache = (DesiredState.Empty, new HashSet<string>());

    /// <summary>Removes the routes of <paramref name="stats"/> that <paramref name="desired"/> has no rule for; returns how many went.</summary>
    public int Filter(Protocol.Mesh.Stats stats, DesiredState desired)
    {
        var count = stats.Routes.Count;
        if (count == 0) return 0;
        if (count > MaxRoutesPerReport)
        {
            stats.Routes.Clear();
            return count;
        }
        var names = Names(desired);
        var known = stats.Routes.Where(route => names.Contains(route.Route)).ToList();
        if (known.Count == count) return 0;
        stats.Routes.Clear();
        stats.Routes.Add(known);
        return count - known.Count;
    }

    private IReadOnlySet<string> Names(DesiredState desired)
    {
        var current = cache;
        if (ReferenceEquals(current.State, desired)) return current.Names;
        var names = desired.Resources.OfType<HttpRoute>()
            .SelectMany(route => Enumerable.Range(0, route.Rules.Count).Select(i => RouteRuleName.Of(route, i)))
            .ToHashSet(StringComparer.Ordinal);
        cache = (desired, names);
        return names;
    }
}
