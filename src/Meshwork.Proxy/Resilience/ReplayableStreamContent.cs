namespace Meshwork.Proxy.Resilience;

/// <summary>
/// Envoy's way with a retried request body: forward it as it arrives and keep a copy, up to the
/// request buffer's limit (<see cref="RequestBodyBuffer.Limit"/>). A retry resends the copy when the
/// whole body was seen and fitted; otherwise the call is not retried. Used for gRPC calls, whose
/// body cannot be read before it is forwarded (a bidirectional stream's client waits for answers
/// before it sends more). A unary or server-streaming call's one message has always been sent in
/// full before its server can answer, so such a call is retried whenever its message fits.
/// </summary>
public sealed class ReplayableStreamContent : HttpContent
{
    private const int FirstChunk = 4 * 1024;
    private readonly HttpContent inner;
    private byte[]? copy = [];
    private int length;
    private volatile State state;

    public ReplayableStreamContent(HttpContent inner)
    {
        this.inner = inner;
        foreach (var (name, values) in inner.Headers.NonValidated)
            Headers.TryAddWithoutValidation(name, values);
    }

    private enum State { NotStarted, Streaming, Complete, NotReplayable }

    /// <summary>
    /// The content for another attempt: this one when the first never started sending (a connect
    /// failure), the copy when the body was sent in full and fitted; null when it cannot be replayed.
    /// </summary>
    public HttpContent? ForRetry()
    {
        switch (state)
        {
            case State.NotStarted:
                return this;
            case State.Complete:
                var again = new ReadOnlyMemoryContent(copy.AsMemory(0, length));
                foreach (var (name, values) in Headers.NonValidated)
                    again.Headers.TryAddWithoutValidation(name, values);
                return again;
            default:
                return null;
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
    {
        state = State.Streaming;
        try
        {
            await inner.CopyToAsync(new TeeStream(stream, this), cancellationToken);
            state = copy is null ? State.NotReplayable : State.Complete;
        }
        catch
        {
            state = State.NotReplayable;
            throw;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (copy is null)
            return;
        if (length + data.Length > RequestBodyBuffer.Limit)
        {
            // Too large to replay: drop the copy so the call holds no more memory than it must.
            copy = null;
            return;
        }
        if (length + data.Length > copy.Length)
            Array.Resize(ref copy, Math.Min(RequestBodyBuffer.Limit, Math.Max(FirstChunk, Math.Max(copy.Length * 2, length + data.Length))));
        data.CopyTo(copy.AsSpan(length));
        length += data.Length;
    }

    /// <summary>Writes go on to the upstream and into the copy; flushes go on (a gRPC stream is flushed message by message).</summary>
    private sealed class TeeStream(Stream upstream, ReplayableStreamContent owner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            owner.Keep(buffer);
            upstream.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            owner.Keep(buffer.Span);
            return upstream.WriteAsync(buffer, cancellationToken);
        }

        public override void Flush() => upstream.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => upstream.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
