using System.Collections.Concurrent;
using System.Net;
using Meshwork.ControlPlane.Configuration;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Streams;

/// <summary>
/// Per-peer budget of failed stream attempts (bad Hello, unknown or revoked token, refused
/// certificate): a token bucket per remote address, <see cref="ControlPlaneOptions.FailedAttemptBurst"/>
/// deep and refilled at <see cref="ControlPlaneOptions.FailedAttemptsPerSecond"/>. A peer with an
/// empty bucket is refused before any work, so guessing tokens or flooding Hellos from one address
/// is slow and cheap, while other peers are not affected.
/// </summary>
public sealed class FailedAttemptLimiter(IOptions<ControlPlaneOptions> options, TimeProvider time)
{
    // Bounds memory under a spray from many addresses: full buckets are forgotten first, then everything.
    private const int MaxPeers = 10_000;
    private readonly ConcurrentDictionary<IPAddress, Bucket> peers = new();

    /// <summary>True when the peer has used up its failures; how long until it may try again.</summary>
    public bool IsLimited(IPAddress? peer, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (peer is null || !peers.TryGetValue(peer, out var bucket)) return false;
        lock (bucket)
        {
            Refill(bucket);
            if (bucket.Tokens >= 1) return false;
            retryAfter = TimeSpan.FromSeconds((1 - bucket.Tokens) / Rate);
            return true;
        }
    }

    public void RecordFailure(IPAddress? peer)
    {
        if (peer is null) return;
        if (peers.Count >= MaxPeers) Trim();
        var bucket = peers.GetOrAdd(peer, _ => new Bucket { Tokens = Burst, RefilledAt = time.GetTimestamp() });
        lock (bucket)
        {
            Refill(bucket);
            bucket.Tokens = Math.Max(0, bucket.Tokens - 1);
        }
    }

    private double Rate => Math.Max(0.001, options.Value.FailedAttemptsPerSecond);

    private double Burst => Math.Max(1, options.Value.FailedAttemptBurst);

    private void Refill(Bucket bucket)
    {
        var now = time.GetTimestamp();
        bucket.Tokens = Math.Min(Burst, bucket.Tokens + time.GetElapsedTime(bucket.RefilledAt, now).TotalSeconds * Rate);
        bucket.RefilledAt = now;
    }

    private void Trim()
    {
        foreach (var (peer, bucket) in peers)
        {
            lock (bucket)
            {
                Refill(bucket);
                if (bucket.Tokens >= Burst) peers.TryRemove(peer, out _);
            }
        }
        if (peers.Count >= MaxPeers) peers.Clear();
    }

    private sealed class Bucket
    {
        public double Tokens;
        public long RefilledAt;
    }
}
