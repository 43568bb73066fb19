namespace Meshwork.Store.Signals;

/// <summary>What a rollup counts: one edge (caller to callee version) or one service version (all its callers).</summary>
public enum SignalSeriesKind
{
    Edge,
    ServiceVersion,
}

/// <summary>
/// One series of golden signals. A service version leaves the source empty: it is counted on the
/// called side, an edge on the calling side, so no request is counted twice.
/// </summary>
public sealed record SignalSeries(
    SignalSeriesKind Kind,
    string SourceService,
    string SourceNamespace,
    string SourceVersion,
    string DestinationService,
    string DestinationNamespace,
    string DestinationVersion)
{
    public static SignalSeries ServiceVersion(string service, string @namespace, string version) =>
        new(SignalSeriesKind.ServiceVersion, "", "", "", service, @namespace, version);
}

/// <summary>One minute of one series: counts and a dense latency histogram (index = shared bucket).</summary>
public sealed record SignalRollup(DateTimeOffset Minute, SignalSeries Series, long Requests, long Failures, IReadOnlyList<long> LatencyBucketCounts);
