using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;

namespace Meshwork.Portal.Hubs;

/// <summary>
/// One message of the topology stream. The first is the snapshot (<see cref="IsSnapshot"/>: every element in
/// <see cref="Added"/>, and elements the client holds that are not in it are gone); each later one is a delta against
/// the previous (<see cref="TopologyDelta"/>): elements new to the client (whole, parents before their children and
/// nodes before their edges), only the changed fields of elements it has (<see cref="GraphChange"/>, keyed by id), and
/// ids removed.
/// </summary>
/// <param name="Sequence">1 for the snapshot, then one more per delta: a gap means a lost message, and the client must
/// start a new stream (which begins with a snapshot) rather than apply what follows.</param>
/// <param name="Connection">The control plane streams' state (<see cref="LiveConnection"/>): the graph is stale unless Connected.</param>
/// <param name="UpdatedAtUnixMs">When the control plane last reported (null: never), so the client can tell how old the picture is.</param>
public sealed record TopologyUpdate(
    bool IsSnapshot,
    long Sequence,
    string Connection,
    long? UpdatedAtUnixMs,
    IReadOnlyList<GraphElement> Added,
    IReadOnlyList<GraphChange> Changed,
    IReadOnlyList<string> Removed)
{
    public static TopologyUpdate Snapshot(long sequence, TopologyView view) =>
        new(true, sequence, view.Snapshot.Connection.ToString(), UpdatedAt(view.Snapshot), view.Elements, [], []);

    public static TopologyUpdate Delta(long sequence, TopologyView view, TopologyDelta delta) =>
        new(false, sequence, view.Snapshot.Connection.ToString(), UpdatedAt(view.Snapshot), delta.Added, delta.Changed, delta.Removed);

    private static long? UpdatedAt(MeshStatusSnapshot snapshot) => snapshot.UpdatedAt?.ToUnixTimeMilliseconds();
}
