using Meshwork.Protocol.Stats;
using Meshwork.Store.Signals;

namespace Meshwork.Portal.ViewModels;

/// <summary>The time windows the Overview's charts offer.</summary>
public enum HistoryWindow { FiveMinutes, OneHour, OneDay }

/// <summary>The mesh's golden signals over one step of a chart: request rate, share of failed requests and p99 latency.</summary>
public sealed record GoldenSignalPoint(DateTimeOffset Start, double RequestsPerSecond, double ErrorPercent, double P99Ms);

/// <summary>
/// Golden signals over a window, from the control plane's one-minute rollups in PostgreSQL (so the
/// charts survive restarts): the mesh's (every service version's requests added up, counted on the
/// called side, so each request once) or one route's; histograms merged before p99 is read. Steps
/// without traffic are zero.
/// </summary>
public static class GoldenSignalHistory
{
    /// <summary>The window's length and the step of its chart: one point a minute up to an hour, every 15 minutes for a day.</summary>
    public static (TimeSpan Span, TimeSpan Step) Shape(HistoryWindow window) => window switch
    {
        HistoryWindow.FiveMinutes => (TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1)),
        HistoryWindow.OneHour => (TimeSpan.FromHours(1), TimeSpan.FromMinutes(1)),
        HistoryWindow.OneDay => (TimeSpan.FromDays(1), TimeSpan.FromMinutes(15)),
        _ => throw new ArgumentOutOfRangeException(nameof(window), window, "unknown window"),
    };

    public static string Label(HistoryWindow window) => window switch
    {
        HistoryWindow.FiveMinutes => "5 min",
        HistoryWindow.OneHour => "1 h",
        HistoryWindow.OneDay => "24 h",
        _ => throw new ArgumentOutOfRangeException(nameof(window), window, "unknown window"),
    };

    /// <summary>The whole mesh: every service version, counted on the called side.</summary>
    public static Task<IReadOnlyList<GoldenSignalPoint>> LoadAsync(SignalHistoryStore store, HistoryWindow window, DateTimeOffset now,
        CancellationToken ct = default) =>
        LoadAsync((from, end) => store.ReadAsync(SignalSeriesKind.ServiceVersion, from, end, ct), window, now);

    /// <summary>One HttpRoute: its rules added up, counted on the calling side.</summary>
    public static Task<IReadOnlyList<GoldenSignalPoint>> LoadRouteAsync(SignalHistoryStore store, string @namespace, string route,
        HistoryWindow window, DateTimeOffset now, CancellationToken ct = default) =>
        LoadAsync((from, end) => store.ReadRouteAsync(@namespace, route, from, end, ct), window, now);

    private static async Task<IReadOnlyList<GoldenSignalPoint>> LoadAsync(
        Func<DateTimeOffset, DateTimeOffset, Task<IReadOnlyList<SignalRollup>>> read, HistoryWindow window, DateTimeOffset now)
    {
        var steps = Steps(window, now);
        return Fold(await read(steps.From - steps.Step, steps.End), steps.From, steps.Step, steps.Count, now);
    }

    /// <summary>
    /// The chart steps of a window at <paramref name="now"/>: aligned to the step length, the last one holding the current
    /// minute; the stored minutes to read are [From, End).
    /// </summary>
    public static (DateTimeOffset From, DateTimeOffset End, TimeSpan Step, int Count) Steps(HistoryWindow window, DateTimeOffset now)
    {
        var (span, step) = Shape(window);
        var end = SignalHistoryStore.TruncateToMinute(now).AddMinutes(1);
        var lastStart = new DateTimeOffset(end.UtcTicks - 1 - (end.UtcTicks - 1) % step.Ticks, TimeSpan.Zero);
        var count = (int)(span.Ticks / step.Ticks);
        return (lastStart - step * (count - 1), end, step, count);
    }

    /// <summary>
    /// <paramref name="count"/> points, one per step from <paramref name="first"/>; a step still under way is a rate over the
    /// time it has run. The control plane saves its rollups every few seconds, so a step that has just begun has none stored
    /// yet and would read as a drop to zero: until its first rollup is stored the chart ends at the step before and starts
    /// one step earlier (so <paramref name="rollups"/> must hold the step before <paramref name="first"/> too), and
    /// "latest" is the last finished step's rate.
    /// </summary>
    private static IReadOnlyList<GoldenSignalPoint> Fold(IReadOnlyList<SignalRollup> rollups, DateTimeOffset first, TimeSpan step, int count, DateTimeOffset now)
    {
        var from = first - step;
        count++;
        var points = new List<GoldenSignalPoint>(count);
        var byStep = rollups.ToLookup(r => (int)((r.Minute - from).Ticks / step.Ticks));
        for (var i = 0; i < count; i++)
        {
            var start = from + step * i;
            long requests = 0, failures = 0;
            var latency = new MergedHistogram();
            foreach (var rollup in byStep[i])
            {
                requests += rollup.Requests;
                failures += rollup.Failures;
                latency.Add(rollup.LatencyBucketCounts.Select(c => (ulong)c).ToList());
            }
            var seconds = Math.Clamp((now - start).TotalSeconds, 1, step.TotalSeconds);
            points.Add(new GoldenSignalPoint(start, requests / seconds, requests == 0 ? 0 : 100.0 * failures / requests, latency.PercentileMs(0.99)));
        }
        var lastUnderWayAndUnstored = now < points[^1].Start + step && !byStep[count - 1].Any();
        points.RemoveAt(lastUnderWayAndUnstored ? count - 1 : 0);
        return points;
    }
}
