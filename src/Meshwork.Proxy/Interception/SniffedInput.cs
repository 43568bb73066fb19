using System.Buffers;
using System.IO.Pipelines;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// An intercepted connection's input as a stream for the relay, once <see cref="ProtocolSniffer"/> has looked at it.
/// The bytes the sniffer left may all be marked examined (a method prefix followed by silence), so a read of the
/// pipe would wait for more, and the read the sniffer cancelled to get out of that wait would surface as an error
/// from a stream over the pipe: they are taken here at once and served first, then the pipe is read as usual.
/// </summary>
public sealed class SniffedInput : Stream
{
    private readonly Stream rest;
    private ReadOnlyMemory<byte> head;

    private SniffedInput(ReadOnlyMemory<byte> head, Stream rest) => (this.head, this.rest) = (head, rest);

    public static Stream Take(PipeReader input)
    {
        byte[] head = [];
        if (input.TryRead(out var waiting))
        {
            head = waiting.Buffer.ToArray();
            input.AdvanceTo(waiting.Buffer.End);
        }
        return new SniffedInput(head, input.AsStream(leaveOpen: true));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (head.IsEmpty)
            return await rest.ReadAsync(buffer, cancellationToken);
        var count = Math.Min(head.Length, buffer.Length);
        head[..count].CopyTo(buffer);
        head = head[count..];
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            rest.Dispose();
        base.Dispose(disposing);
    }
}
