using System.Buffers;

namespace Meshwork.Proxy.L4;

/// <summary>One side of a relayed connection: where its bytes are read, where bytes for it are written, and how to end writing (half-close).</summary>
public sealed record RelayEnd(Stream Read, Stream Write, Func<ValueTask> ShutdownWrite);

/// <summary>How a relayed connection ended: whether the proxy closed it for carrying no bytes for the idle timeout
/// (its bytes are on its <see cref="TcpConnectionMeter"/>).</summary>
public readonly record struct RelayOutcome(bool IdleTimedOut);

/// <summary>
/// Copies bytes both ways between two connections until both directions end. When one side stops sending
/// (end of stream), the other side's write half is shut, so protocols that half-close (a client that sends
/// its request and then reads to the end) work through the relay; an error in either direction ends both,
/// and so does the idle timeout (no bytes either way for that long, as Envoy's tcp_proxy idle_timeout).
/// Bytes are counted on the connection's meter as each write completes.
/// </summary>
public static class ByteRelay
{
    private const int BufferSize = 16 * 1024;

    public static async Task<RelayOutcome> RunAsync(RelayEnd opener, RelayEnd target, TcpConnectionMeter meter, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Disposed before `failed` (reverse order), and its disposal waits for a running check, which may cancel `failed`.
        await using var idle = new IdleTimer(idleTimeout, failed);
        var received = CopyAsync(opener, target, meter.AddReceived, failed, idle);
        var sent = CopyAsync(target, opener, meter.AddSent, failed, idle);
        await Task.WhenAll(received, sent).ConfigureAwait(false);
        return new RelayOutcome(idle.Expired);
    }

    private static async Task CopyAsync(RelayEnd from, RelayEnd to, Action<long> count, CancellationTokenSource failed, IdleTimer idle)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await from.Read.ReadAsync(buffer, failed.Token).ConfigureAwait(false)) > 0)
            {
                idle.Touch();
                await to.Write.WriteAsync(buffer.AsMemory(0, read), failed.Token).ConfigureAwait(false);
                await to.Write.FlushAsync(failed.Token).ConfigureAwait(false);
                // A write held back by a slow reader is still traffic: the wait must not count as idle time.
                idle.Touch();
                count(read);
            }
            await to.ShutdownWrite().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            // A reset, a closed side or the idle timeout ends the whole connection, as a TCP proxy does.
            await failed.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
