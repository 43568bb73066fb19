using System.Buffers;

namespace Meshwork.Proxy.L4;

/// <summary>One side of a relayed connection: where its bytes are read, where bytes for it are written, and how to end writing (half-close).</summary>
public sealed record RelayEnd(Stream Read, Stream Write, Func<ValueTask> ShutdownWrite);

/// <summary>
/// Copies bytes both ways between two connections until both directions end. When one side stops sending
/// (end of stream), the other side's write half is shut, so protocols that half-close (a client that sends
/// its request and then reads to the end) work through the relay; an error in either direction ends both.
/// </summary>
public static class ByteRelay
{
    private const int BufferSize = 16 * 1024;

    /// <returns>Bytes read from <paramref name="opener"/> (received) and written to it (sent).</returns>
    public static async Task<(long Received, long Sent)> RunAsync(RelayEnd opener, RelayEnd target, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var received = CopyAsync(opener, target, failed);
        var sent = CopyAsync(target, opener, failed);
        await Task.WhenAll(received, sent).ConfigureAwait(false);
        return (received.Result, sent.Result);
    }

    private static async Task<long> CopyAsync(RelayEnd from, RelayEnd to, CancellationTokenSource failed)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long total = 0;
        try
        {
            int read;
            while ((read = await from.Read.ReadAsync(buffer, failed.Token).ConfigureAwait(false)) > 0)
            {
                await to.Write.WriteAsync(buffer.AsMemory(0, read), failed.Token).ConfigureAwait(false);
                await to.Write.FlushAsync(failed.Token).ConfigureAwait(false);
                total += read;
            }
            await to.ShutdownWrite().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            // A reset or a closed side ends the whole connection, as a TCP proxy does.
            await failed.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return total;
    }
}
