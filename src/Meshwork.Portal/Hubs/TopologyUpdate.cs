using Meshwork.Portal.ViewModels;

namespace Meshwork.Portal.Hubs;

/// <summary>
/// One message of the topology stream. The first is the snapshot (<see cref="IsSnapshot"/>: every element,
/// and elements the client holds that are not in it are gone); each later one is a delta against the
/// previous: elements added or changed (whole), and ids removed. Ordered so parents come before their
/// children and nodes before their edges.
/// </summary>
/// <param name="Sequence">1 for the snapshot, then one more per delta: a gap means a lost message.</param>
/// <param name="Connection">The control plane streams' state (<see cref="Live.LiveConnection"/>): the graph is stale unless Connected.</param>
/// <param name="UpdatedAtUnixMs">When the control plane last reported (null: never), so the client can tell how old the picture is.</param>
public sealed record TopologyUpdate(
    bool IsSnapshot,
    long Sequence,
    string Connection,
    long? UpdatedAtUnixMs,
    IReadOnlyList<GraphElement> Upserted,
    IReadOnlyList<string> Removed);
