using Meshwork.ControlPlane.Stats;
using Meshwork.Store.Signals;

namespace Meshwork.ControlPlane.Tests.Stats;

public sealed class ChangedVersionCountsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Refresh = TimeSpan.FromMinutes(15);

    private static VersionCounts Counts(string version, long requests) => new("default", "orders", version, requests, 0, [requests]);

    [Fact]
    public void TheFirstSaveWritesEveryRow_ThenOnlyTheRowsWhoseCountsMoved()
    {
        var changes = new ChangedVersionCounts(Refresh);
        var first = changes.ToSave([Counts("v1", 10), Counts("v2", 5)], Start);
        Assert.True(first.Full);
        Assert.Equal(2, first.Rows.Count);
        changes.Saved(first, Start);

        var second = changes.ToSave([Counts("v1", 12), Counts("v2", 5), Counts("v3", 1)], Start.AddSeconds(1));
        Assert.False(second.Full);
        Assert.Equal(["v1", "v3"], second.Rows.Select(row => row.Version));
    }

    [Fact]
    public void NothingMoved_NothingIsWritten_UntilThePeriodicRefreshRewritesEveryRow()
    {
        var changes = new ChangedVersionCounts(Refresh);
        changes.Saved(changes.ToSave([Counts("v1", 10)], Start), Start);

        Assert.Empty(changes.ToSave([Counts("v1", 10)], Start + Refresh - TimeSpan.FromSeconds(1)).Rows);
        var refresh = changes.ToSave([Counts("v1", 10)], Start + Refresh);
        Assert.True(refresh.Full);
        Assert.Single(refresh.Rows);
    }

    [Fact]
    public void AFailedSaveIsNotRecorded_SoItsRowsAreOfferedAgain()
    {
        var changes = new ChangedVersionCounts(Refresh);
        changes.Saved(changes.ToSave([Counts("v1", 10)], Start), Start);

        var unsaved = changes.ToSave([Counts("v1", 11)], Start.AddSeconds(1));
        Assert.Single(unsaved.Rows);
        // The save failed: Saved is not called.
        Assert.Single(changes.ToSave([Counts("v1", 11)], Start.AddSeconds(2)).Rows);
    }
}
