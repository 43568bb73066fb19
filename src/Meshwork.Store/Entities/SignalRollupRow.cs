namespace Meshwork.Store.Entities;

/// <summary>
/// One minute of one series (an edge or a service version) as one control plane process counted it
/// (table <c>signal_rollups</c>). Each process writes only its own rows, keyed by <see cref="Writer"/>,
/// and rewrites them whole, so a repeated write changes nothing and readers sum over writers.
/// </summary>
internal sealed class SignalRollupRow
{
    public DateTimeOffset Minute { get; set; }
    public required string Kind { get; set; }
    public required string SourceService { get; set; }
    public required string SourceNamespace { get; set; }
    public required string SourceVersion { get; set; }
    public required string DestinationService { get; set; }
    public required string DestinationNamespace { get; set; }
    public required string DestinationVersion { get; set; }
    public required string Writer { get; set; }
    public long Requests { get; set; }
    public long Failures { get; set; }
    /// <summary>Dense latency histogram (index = Meshwork.Protocol's shared bucket), so minutes and writers merge exactly.</summary>
    public long[] LatencyBucketCounts { get; set; } = [];
    public DateTimeOffset WrittenAt { get; set; }
}
