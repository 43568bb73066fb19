using Meshwork.Portal.ViewModels;

namespace Meshwork.Portal.Hubs;

/// <summary>
/// From one <see cref="TopologyView"/> to the next: elements new to the client (whole, in the view's order: parents
/// before their children, nodes before their edges), the changed fields of elements it has, and the ids that went.
/// Applying it to the first view's elements gives exactly the second's.
/// </summary>
public sealed record TopologyDelta(IReadOnlyList<GraphElement> Added, IReadOnlyList<GraphChange> Changed, IReadOnlyList<string> Removed)
{
    /// <summary>Nothing changed.</summary>
    public static readonly TopologyDelta None = new([], [], []);

    public static TopologyDelta Between(TopologyView before, TopologyView after)
    {
        var added = new List<GraphElement>();
        var changed = new List<GraphChange>();
        foreach (var element in after.Elements)
        {
            if (before.Find(element.Data.Id) is not { } had)
                added.Add(element);
            else if (GraphChange.Between(had, element) is { } change)
                changed.Add(change);
        }
        var removed = before.Elements.Where(e => after.Find(e.Data.Id) is null).Select(e => e.Data.Id).ToList();
        return new TopologyDelta(added, changed, removed);
    }
}
