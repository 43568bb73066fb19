using Meshwork.Store.Signals;

namespace Meshwork.ControlPlane.Stats;

/// <summary>
/// Picks which per-version counts a writer must save: those that moved since its last save, and every row again once
/// <paramref name="refreshEvery"/> has passed, so the leader's "stopped writer" pruning (by the rows' write time) never
/// deletes the counts of a process that is alive but idle. A version's counts move only together with its request
/// count (failures and latency buckets grow per request), so the request count alone tells a changed row.
/// </summary>
public sealed class ChangedVersionCounts(TimeSpan refreshEvery)
{
    private readonly Dictionary<(string Namespace, string Service, string Version), long> savedRequests = [];
    private DateTimeOffset lastFullSave = DateTimeOffset.MinValue;

    /// <summary>The rows to save now (<c>Full</c>: all of them, the periodic refresh); pass the result to
    /// <see cref="Saved"/> once the save succeeded.</summary>
    public SaveSet ToSave(IReadOnlyList<VersionCounts> totals, DateTimeOffset now)
    {
        if (now - lastFullSave >= refreshEvery) return new SaveSet(totals, Full: true);
        return new SaveSet(totals.Where(count => !savedRequests.TryGetValue((count.Namespace, count.Service, count.Version), out var requests)
            || requests != count.Requests).ToList(), Full: false);
    }

    /// <summary>Records a successful save (a failed one is not recorded, so its rows are offered again).</summary>
    public void Saved(SaveSet saved, DateTimeOffset now)
    {
        foreach (var count in saved.Rows) savedRequests[(count.Namespace, count.Service, count.Version)] = count.Requests;
        if (saved.Full) lastFullSave = now;
    }

    public sealed record SaveSet(IReadOnlyList<VersionCounts> Rows, bool Full);
}
