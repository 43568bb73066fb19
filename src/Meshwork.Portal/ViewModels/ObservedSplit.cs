using Meshwork.Model.Resources;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// The split live traffic actually took, from the control plane's edge signals (the callers' outbound
/// reports over the last window): each backend's share of the requests to all of the split's backends.
/// </summary>
public static class ObservedSplit
{
    /// <summary>Percent per backend, or null while none of them got a request in the window.</summary>
    public static double[]? Of(IReadOnlyList<BackendRef> backends, string routeNamespace, IReadOnlyList<EdgeSignals> edges)
    {
        var rates = backends.Select(backend =>
        {
            var ns = backend.Namespace ?? routeNamespace;
            return edges
                .Where(e => e.DestinationService == backend.Service && e.DestinationNamespace == ns
                    && (backend.Version is null || e.DestinationVersion == backend.Version))
                .Sum(e => e.Signals?.Rps ?? 0);
        }).ToArray();
        var total = rates.Sum();
        return total <= 0 ? null : rates.Select(r => r * 100 / total).ToArray();
    }
}
