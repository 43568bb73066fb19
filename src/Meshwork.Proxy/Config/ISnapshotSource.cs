using Meshwork.Protocol.Snapshots;

namespace Meshwork.Proxy.Config;

/// <summary>
/// Where snapshots come from: a snapshot file (<see cref="FileSnapshotSource"/>) or the control
/// plane stream (src/Meshwork.Proxy/ControlPlane/). The proxy's <see cref="SnapshotApplier"/>
/// consumes <see cref="WatchAsync"/>, builds, validates and swaps each snapshot, then calls
/// <see cref="ReportAsync"/> with the outcome (ACK or NACK), so the source can tell its origin.
/// A source that disconnects should keep the enumeration open (reconnect inside) or end it; the
/// proxy keeps serving the last applied snapshot either way.
/// </summary>
public interface ISnapshotSource
{
    /// <summary>A short name for logs and /stats, e.g. "file:/etc/mesh/snapshot.json" or "control-plane:https://cp:15010".</summary>
    string Name { get; }

    /// <summary>Snapshots as they arrive, newest last. Yield the same content again freely: unchanged hashes are ignored (and ACKed).</summary>
    IAsyncEnumerable<ProxySnapshot> WatchAsync(CancellationToken cancellationToken);

    /// <summary>Called once per yielded snapshot, after it was applied or rejected.</summary>
    ValueTask ReportAsync(SnapshotApplyResult result, CancellationToken cancellationToken);
}

/// <summary>
/// The outcome of applying one snapshot: an ACK (<see cref="Accepted"/>) or a NACK with the
/// reasons; in both cases what is serving now.
/// </summary>
public sealed record SnapshotApplyResult
{
    public required long Version { get; init; }
    public required string Hash { get; init; }
    public required bool Accepted { get; init; }

    /// <summary>Why a snapshot was rejected (each names the offending element); empty for an ACK.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>The snapshot serving after this attempt (the previous one after a NACK); 0/"" when none yet.</summary>
    public required long ServingVersion { get; init; }
    public required string ServingHash { get; init; }
}
