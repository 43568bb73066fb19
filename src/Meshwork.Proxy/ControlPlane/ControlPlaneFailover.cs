using System.Security.Cryptography;
using System.Text;

namespace Meshwork.Proxy.ControlPlane;

/// <summary>
/// Which control plane replica the proxy dials next and how long it waits first. Each proxy starts
/// at an index derived from its id (SHA-256, the same in every process, unlike string.GetHashCode),
/// so a fleet spreads over the replicas. After a failed attempt it moves to the next address: at
/// once while some address in this round has not failed yet, so a proxy whose replica died is on
/// another one within a round trip; only when every address failed in a row does it wait, and the
/// backoff grows once per such full cycle. With one address every failure is a full cycle: the
/// plain jittered backoff of <see cref="ReconnectBackoff"/>. A retry-after hint is always honoured.
/// </summary>
public sealed class ControlPlaneFailover
{
    private readonly IReadOnlyList<string> addresses;
    private readonly ReconnectBackoff backoff;
    private int index;
    private int failedInRow;

    public ControlPlaneFailover(IReadOnlyList<string> addresses, string proxyId, ReconnectBackoff backoff)
    {
        if (addresses.Count == 0) throw new ArgumentException("at least one control plane address is required", nameof(addresses));
        this.addresses = addresses;
        this.backoff = backoff;
        index = StartIndex(proxyId, addresses.Count);
    }

    /// <summary>The address to dial now (or the one the live stream is on).</summary>
    public string Current => addresses[Volatile.Read(ref index)];

    /// <summary>The stream on <see cref="Current"/> works: a later loss starts a new cycle with a fresh backoff.</summary>
    public void Established()
    {
        failedInRow = 0;
        backoff.Reset();
    }

    /// <summary>
    /// The attempt on <see cref="Current"/> ended (refused, throttled, or an established stream broke):
    /// moves to the next address and returns how long to wait before dialling it.
    /// </summary>
    public TimeSpan Failed(TimeSpan? retryAfter = null)
    {
        Volatile.Write(ref index, (index + 1) % addresses.Count);
        if (++failedInRow < addresses.Count)
            return retryAfter is null ? TimeSpan.Zero : backoff.Next(retryAfter);
        failedInRow = 0;
        return backoff.Next(retryAfter);
    }

    public static int StartIndex(string proxyId, int addressCount)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(proxyId));
        return (int)(BitConverter.ToUInt32(hash, 0) % (uint)addressCount);
    }
}
