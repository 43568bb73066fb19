using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// An Istio destination subset as a Meshwork service version: the stored version with the same
/// labels as the DestinationRule subset (names may differ), else the subset's own name.
/// </summary>
internal static class IstioSubsetVersions
{
    public static string? Resolve(ImportSession session, DocumentReader document, string path, string service, string ns, string? subset)
    {
        if (subset is null)
            return null;
        if (!session.Subsets.TryGetValue((ns, service), out var subsets))
            return subset;
        if (!subsets.ByName.TryGetValue(subset, out var labels))
        {
            document.Error(path, $"the DestinationRule for '{service}' ({subsets.Path}) has no subset '{subset}'; Istio would answer 503 for these requests");
            return null;
        }
        var stored = session.StoredService(service, ns)?.Versions.FirstOrDefault(v => SameLabels(v.Labels, labels));
        return stored?.Name ?? subset;
    }

    public static bool SameLabels(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
