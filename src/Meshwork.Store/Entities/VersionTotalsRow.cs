namespace Meshwork.Store.Entities;

/// <summary>
/// What one control plane process's proxies reported for one service version since the process started
/// (table <c>version_totals</c>): the called side's requests, failures (5xx) and latency histogram. Each
/// process rewrites its own rows (keyed by <see cref="Writer"/>) every second, so the leader's rollout
/// analysis sees the proxies of every replica, not only its own.
/// </summary>
internal sealed class VersionTotalsRow
{
    public required string Writer { get; set; }
    public required string Namespace { get; set; }
    public required string Service { get; set; }
    public required string Version { get; set; }
    /// <summary>When this row was first written (the database's clock): a reader that finds a row new since its last reading knows whether it counts from zero.</summary>
    public DateTimeOffset FirstWrittenAt { get; set; }
    public long Requests { get; set; }
    public long Failures { get; set; }
    /// <summary>Dense latency histogram (index = Meshwork.Protocol's shared bucket), so writers merge exactly.</summary>
    public long[] LatencyBucketCounts { get; set; } = [];
    public DateTimeOffset WrittenAt { get; set; }
}
