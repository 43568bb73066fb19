using Meshwork.Portal.Hubs;
using Meshwork.Portal.ViewModels;

namespace Meshwork.Portal.Tests.Hubs;

/// <summary>
/// The graph a client of /hubs/mesh holds, built from the stream's messages as the browser's script builds it
/// (wwwroot/js/topology-graph.js): the snapshot replaces everything, a delta adds whole elements, sets the changed
/// fields of elements it has and removes ids. It refuses what the browser would resync on: a gap in the sequence, or a
/// change to an element it does not have. Safe to read while a reader applies.
/// </summary>
public sealed class TopologyClient
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, GraphElement> elements = new(StringComparer.Ordinal);
    private long sequence;

    public void Apply(TopologyUpdate update)
    {
        lock (gate)
        {
            if (update.IsSnapshot)
                elements.Clear();
            else if (update.Sequence != sequence + 1)
                throw new InvalidOperationException($"delta {update.Sequence} after {sequence}: a message was lost");
            sequence = update.Sequence;
            foreach (var id in update.Removed)
                Assert.True(elements.Remove(id), $"removed {id}, which the client does not have");
            foreach (var element in update.Added)
                Assert.True(elements.TryAdd(element.Data.Id, element), $"added {element.Data.Id}, which the client has");
            foreach (var change in update.Changed)
            {
                Assert.True(elements.TryGetValue(change.Id, out var had), $"a change to {change.Id}, which the client does not have");
                elements[change.Id] = had with
                {
                    Data = had.Data with
                    {
                        Label = change.Label ?? had.Data.Label,
                        Canary = change.Canary == GraphChange.NoCanary ? null : change.Canary ?? had.Data.Canary,
                    },
                    Classes = change.Classes ?? had.Classes,
                };
            }
        }
    }

    public GraphElement? Element(string id)
    {
        lock (gate)
            return elements.GetValueOrDefault(id);
    }

    /// <summary>Every element, ordered by id, to compare with another picture of the graph.</summary>
    public IReadOnlyList<GraphElement> Elements
    {
        get
        {
            lock (gate)
                return Sorted(elements.Values);
        }
    }

    public static IReadOnlyList<GraphElement> Sorted(IEnumerable<GraphElement> elements) => elements.OrderBy(e => e.Data.Id, StringComparer.Ordinal).ToList();
}
