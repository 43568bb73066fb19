using System.Buffers;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// Bytes received and not consumed yet, or written and not sent yet: a pooled array used from <see cref="Start"/>
/// to <see cref="End"/>. Appends grow it; reads go after <see cref="End"/>, after moving the pending bytes to the front.
/// Used by one event-loop thread at a time.
/// </summary>
internal sealed class LeanBuffer(int initialSize) : IDisposable
{
    private byte[] array = ArrayPool<byte>.Shared.Rent(initialSize);

    public int Start { get; private set; }

    public int End { get; private set; }

    public int Length => End - Start;

    public bool IsEmpty => End == Start;

    public ReadOnlySpan<byte> Pending => array.AsSpan(Start, End - Start);

    public void Consume(int count)
    {
        Start += count;
        if (Start == End)
            Start = End = 0;
    }

    /// <summary>Room after the pending bytes for at least <paramref name="minimum"/> (or whatever <paramref name="limit"/> allows), moving them to the front first.</summary>
    public Span<byte> Free(int minimum, int limit = int.MaxValue)
    {
        if (Start > 0 && array.Length - End < minimum)
        {
            Pending.CopyTo(array);
            End -= Start;
            Start = 0;
        }
        if (array.Length - End < minimum && array.Length < limit)
            Grow(Math.Min(limit, Math.Max(array.Length * 2, End + minimum)));
        return array.AsSpan(End);
    }

    public void Advance(int count) => End += count;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Free(bytes.Length));
        End += bytes.Length;
    }

    private void Grow(int size)
    {
        var larger = ArrayPool<byte>.Shared.Rent(size);
        Pending.CopyTo(larger);
        End -= Start;
        Start = 0;
        ArrayPool<byte>.Shared.Return(array);
        array = larger;
    }

    public void Dispose()
    {
        var rented = array;
        array = [];
        Start = End = 0;
        if (rented.Length > 0)
            ArrayPool<byte>.Shared.Return(rented);
    }
}
