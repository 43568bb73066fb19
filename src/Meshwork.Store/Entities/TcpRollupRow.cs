namespace Meshwork.Store.Entities;

/// <summary>
/// One minute of one TCP edge (source service version to destination service version) as one control plane process
/// counted it (table <c>tcp_rollups</c>), beside <see cref="SignalRollupRow"/> and under the same rules: each process
/// rewrites only its own rows (<see cref="Writer"/>), readers sum over writers. Connections and bytes come from the
/// calling side; refusals the called side reported know the caller's service only, so they sit on a row whose
/// <see cref="SourceVersion"/> is empty.
/// </summary>
internal sealed class TcpRollupRow
{
    public DateTimeOffset Minute { get; set; }
    public required string SourceService { get; set; }
    public required string SourceNamespace { get; set; }
    public required string SourceVersion { get; set; }
    public required string DestinationService { get; set; }
    public required string DestinationNamespace { get; set; }
    public required string DestinationVersion { get; set; }
    public required string Writer { get; set; }
    public long Opened { get; set; }
    public long Closed { get; set; }
    public long ConnectFailures { get; set; }
    public long Denied { get; set; }
    public long ReceivedBytes { get; set; }
    public long SentBytes { get; set; }
    public long ClosedDurationMs { get; set; }
    public DateTimeOffset WrittenAt { get; set; }
}
