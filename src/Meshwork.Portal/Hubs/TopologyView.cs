using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;

namespace Meshwork.Portal.Hubs;

/// <summary>
/// The graph one filter shows for one live state, thresholds and set of live rollouts, built once and shared by every
/// stream with that filter (<see cref="TopologyViews"/>). A stream remembers only which view it last sent, so a client
/// that keeps up costs no state of its own; the delta from one view to the next is made once and reused by every
/// stream taking the same step. Immutable.
/// </summary>
public sealed class TopologyView
{
    private static long lastNumber;
    private readonly Dictionary<string, GraphElement> byId;
    // The last delta made to this view, keyed by the number (not a reference) of the view it starts from, so a view
    // never keeps its predecessors alive.
    private Memo? lastDelta;

    private sealed record Memo(long Number, TopologyDelta Delta);

    public TopologyView(MeshStatusSnapshot snapshot, HealthThresholds thresholds, IReadOnlyList<TopologyCanary> canaries, IReadOnlyList<GraphElement> elements)
    {
        Snapshot = snapshot;
        Thresholds = thresholds;
        Canaries = canaries;
        Elements = elements;
        byId = elements.ToDictionary(e => e.Data.Id, StringComparer.Ordinal);
        Number = Interlocked.Increment(ref lastNumber);
        BuiltAt = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>When it was made (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long BuiltAt { get; }

    /// <summary>Unique per view made in this process.</summary>
    public long Number { get; }

    public MeshStatusSnapshot Snapshot { get; }
    public HealthThresholds Thresholds { get; }
    public IReadOnlyList<TopologyCanary> Canaries { get; }

    /// <summary>In the order the graph adds them: parents, then versions, then edges.</summary>
    public IReadOnlyList<GraphElement> Elements { get; }

    public GraphElement? Find(string id) => byId.GetValueOrDefault(id);

    /// <summary>Whether this view was built from exactly these inputs (the same live state object, thresholds and rollouts).</summary>
    public bool IsFor(MeshStatusSnapshot snapshot, HealthThresholds thresholds, IReadOnlyList<TopologyCanary> canaries) =>
        ReferenceEquals(Snapshot, snapshot) && Thresholds == thresholds && Canaries.SequenceEqual(canaries);

    /// <summary>What a client holding <paramref name="before"/> needs to hold this view.</summary>
    public TopologyDelta DeltaFrom(TopologyView before)
    {
        if (ReferenceEquals(before, this))
            return TopologyDelta.None;
        if (Volatile.Read(ref lastDelta) is { } memo && memo.Number == before.Number)
            return memo.Delta;
        var delta = TopologyDelta.Between(before, this);
        Volatile.Write(ref lastDelta, new Memo(before.Number, delta));
        return delta;
    }
}
