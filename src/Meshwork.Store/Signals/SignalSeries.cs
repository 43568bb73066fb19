namespace Meshwork.Store.Signals;

/// <summary>What a rollup counts: one edge (caller to callee version), one service version (all its callers) or one HttpRoute rule.</summary>
public enum SignalSeriesKind
{
    Edge,
    ServiceVersion,
    Route,
}

/// <summary>
/// One series of golden signals. A service version leaves the source empty: it is counted on the
/// called side, an edge on the calling side, so no request is counted twice. A route rule is counted
/// on the calling side too and names the HttpRoute in the destination columns: the route as the
/// service, its namespace, the rule (name or index) as the version.
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

    public static SignalSeries Route(string @namespace, string route, string rule) =>
        new(SignalSeriesKind.Route, "", "", "", route, @namespace, rule);
}

/// <summary>One minute of one series: counts and a dense latency histogram (index = shared bucket).</summary>
public sealed record SignalRollup(DateTimeOffset Minute, SignalSeries Series, long Requests, long Failures, IReadOnlyList<long> LatencyBucketCounts);
