using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// State shared by the documents of one import: the resources made so far (with the document
/// each came from), the stored resources they are translated against, and what Istio spreads
/// over several documents (DestinationRule subsets, per-route retries) until it is merged.
/// </summary>
internal sealed class ImportSession(IReadOnlyList<Resource> stored)
{
    private readonly List<(Resource Resource, DocumentReader Source)> _made = [];

    public List<InteropMessage> Messages { get; } = [];
    public IReadOnlyList<Resource> Stored { get; } = stored;
    public IReadOnlyList<(Resource Resource, DocumentReader Source)> Made => _made;

    /// <summary>Istio DestinationRule subsets by service: subset name -> labels.</summary>
    public Dictionary<(string Namespace, string Service), IstioSubsets> Subsets { get; } = [];

    /// <summary>Retries of Istio routes, per destination service (Meshwork sets retries per service).</summary>
    public Dictionary<(string Namespace, string Service), (RetryPolicy Retries, string Path, DocumentReader Source, bool Explicit)> Retries { get; } = [];

    /// <summary>SMI HTTPRouteGroup matches by (namespace, name), read before the TrafficSplits that name them.</summary>
    public Dictionary<(string Namespace, string Name), IReadOnlyList<SmiRouteMatch>> RouteGroups { get; } = [];

    public void Add(Resource resource, DocumentReader source) => _made.Add((resource, source));

    /// <summary>Forgets what a document made when it turned out to have errors.</summary>
    public void DiscardFrom(int count) => _made.RemoveRange(count, _made.Count - count);

    public void Replace(Resource old, Resource replacement)
    {
        var i = _made.FindIndex(m => ReferenceEquals(m.Resource, old));
        _made[i] = (replacement, _made[i].Source);
    }

    public Service? StoredService(string name, string ns) =>
        Stored.OfType<Service>().FirstOrDefault(s => s.Metadata.Name == name && s.Metadata.Namespace == ns);
}

/// <summary>One DestinationRule's subsets and the service resource made from them.</summary>
internal sealed record IstioSubsets(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ByName, string Path);

/// <summary>One match of an SMI HTTPRouteGroup as written: pathRegex anchored at the start only, header values regular expressions.</summary>
internal sealed record SmiRouteMatch(string Name, string? PathRegex, IReadOnlyList<string> Methods, IReadOnlyList<(string Name, string Value)> Headers);
