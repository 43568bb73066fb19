using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Meshwork.Proxy.Transport;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// Where a lean response goes. On the epoll transport the bytes gather in a buffer of this connection's and each flush
/// sends them straight on the socket (<see cref="IDirectIoFeature"/>): no output pipe, no send loop resumed per
/// response, one send per flush as before. On any other transport they go to the connection's output pipe. Either
/// way nothing is sent before a flush, and a flush returns once its bytes are with the kernel (or in the pipe).
/// </summary>
internal sealed class LeanClientOutput : IDisposable
{
    private const int InitialBuffer = 4096;

    private readonly IDirectIoFeature? direct;
    private readonly PipeWriter? pipe;
    private byte[] buffer = [];
    private int length;

    private LeanClientOutput(IDirectIoFeature? direct, PipeWriter? pipe)
    {
        this.direct = direct;
        this.pipe = pipe;
    }

    public static LeanClientOutput Direct(IDirectIoFeature direct) => new(direct, null);

    public static LeanClientOutput Over(PipeWriter pipe) => new(null, pipe);

    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (pipe is not null)
        {
            pipe.Write(bytes);
            return;
        }
        if (buffer.Length - length < bytes.Length)
            Grow(length + bytes.Length);
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    /// <summary>Sends what was written; <see cref="LeanClientGoneException"/> when the client connection is gone.</summary>
    // Pooled: on an event loop every flush waits for the end of the loop's batch.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (pipe is not null)
        {
            var flushed = await pipe.FlushAsync(cancellationToken);
            if (flushed.IsCompleted || flushed.IsCanceled)
                throw new LeanClientGoneException();
            return;
        }
        if (length == 0)
            return;
        try
        {
            await direct!.SendAsync(buffer.AsMemory(0, length), cancellationToken);
        }
        catch (IOException)
        {
            throw new LeanClientGoneException();
        }
        finally
        {
            length = 0;
        }
    }

    private void Grow(int needed)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(InitialBuffer, buffer.Length * 2)));
        buffer.AsSpan(0, length).CopyTo(larger);
        Return();
        buffer = larger;
    }

    private void Return()
    {
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }

    public void Dispose()
    {
        length = 0;
        Return();
    }
}
