using Meshwork.ControlPlane.Stats;
using Meshwork.Store.Signals;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// One service version's counts across every control plane replica (<see cref="VersionTotalsStore"/>): what
/// happened between two readings is the sum, writer by writer, of each writer's difference.
/// </summary>
public static class FleetCounts
{
    /// <summary>
    /// The requests <paramref name="later"/> counted since <paramref name="earlier"/>. A writer absent from the
    /// earlier reading counts from zero when its row was first written after that reading (it had counted nothing
    /// saved before; at most one flush interval of its requests may predate the reading); a writer whose row
    /// existed then but was not seen (it cannot happen within one database) is left out of this interval.
    /// </summary>
    public static SignalTotals Since(VersionReading later, VersionReading earlier)
    {
        var before = earlier.Writers.ToDictionary(w => w.Writer);
        var sum = SignalTotals.Zero;
        foreach (var writer in later.Writers)
        {
            var now = Totals(writer);
            if (before.TryGetValue(writer.Writer, out var then)) sum = sum.Plus(now.Since(Totals(then)));
            else if (writer.FirstWrittenAt > earlier.ReadAt) sum = sum.Plus(now);
        }
        return sum;
    }

    private static SignalTotals Totals(WriterCounts counts) =>
        new((ulong)counts.Requests, (ulong)counts.Failures, counts.LatencyBucketCounts.Select(c => (ulong)c).ToArray());
}
