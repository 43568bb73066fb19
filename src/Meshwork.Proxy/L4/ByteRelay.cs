using System.Buffers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.L4;

/// <summary>One side of a relayed connection: where its bytes are read, where bytes for it are written, and how to end writing (half-close).</summary>
public sealed record RelayEnd(Stream Read, Stream Write, Func<ValueTask> ShutdownWrite)
{
    /// <summary>A connected socket read and written through <paramref name="stream"/> (plain or TLS), half-closed by shutting its send side.</summary>
    public static RelayEnd Of(Socket socket, Stream stream) =>
        new(stream, stream, () => { socket.Shutdown(SocketShutdown.Send); return ValueTask.CompletedTask; });

    /// <summary>A Kestrel connection: its pipes as streams (left for Kestrel to close), half-closed by completing its output;
    /// <paramref name="input"/> instead of the input pipe's stream when something read the input first.</summary>
    public static RelayEnd Of(ConnectionContext connection, Stream? input = null) =>
        new(input ?? connection.Transport.Input.AsStream(leaveOpen: true), connection.Transport.Output.AsStream(leaveOpen: true),
            () => connection.Transport.Output.CompleteAsync());
}

/// <summary>How a relayed connection ended: whether the proxy closed it for carrying no bytes for the idle timeout
/// (its bytes were counted as they moved).</summary>
public readonly record struct RelayOutcome(bool IdleTimedOut);

/// <summary>
/// Copies bytes both ways between two connections until both directions end. When one side stops sending
/// (end of stream), the other side's write half is shut, so protocols that half-close (a client that sends
/// its request and then reads to the end) work through the relay; an error in either direction ends both,
/// and so does the idle timeout (no bytes either way for that long, as Envoy's tcp_proxy idle_timeout).
/// Bytes are counted as each write completes, so an open connection's traffic shows while it runs.
/// </summary>
public static class ByteRelay
{
    private const int BufferSize = 16 * 1024;

    public static Task<RelayOutcome> RunAsync(RelayEnd opener, RelayEnd target, TcpConnectionMeter meter, TimeSpan idleTimeout, CancellationToken cancellationToken) =>
        RunAsync(opener, target, meter.AddReceived, meter.AddSent, idleTimeout, cancellationToken);

    /// <param name="countReceived">Told each chunk read from <paramref name="opener"/> once it is written on.</param>
    /// <param name="countSent">Told each chunk written back to <paramref name="opener"/>.</param>
    public static async Task<RelayOutcome> RunAsync(RelayEnd opener, RelayEnd target, Action<long> countReceived, Action<long> countSent,
        TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Disposed before `failed` (reverse order), and its disposal waits for a running check, which may cancel `failed`.
        await using var idle = new IdleTimer(idleTimeout, failed);
        var received = CopyAsync(opener, target, countReceived, failed, idle);
        var sent = CopyAsync(target, opener, countSent, failed, idle);
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
                // Counted once written, before the flush: a pipe's WriteAsync already hands the bytes to its transport,
                // whose peer may read them and close before this thread reaches the flush (a preempted thread on a loaded
                // machine), and the close cancels the flush: counted after it, delivered bytes went uncounted.
                count(read);
                await to.Write.FlushAsync(failed.Token).ConfigureAwait(false);
                // A write held back by a slow reader is still traffic: the wait must not count as idle time.
                idle.Touch();
            }
            await to.ShutdownWrite().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
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
