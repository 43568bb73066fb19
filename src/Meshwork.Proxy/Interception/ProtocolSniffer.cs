using System.Buffers;
using System.IO.Pipelines;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// Tells HTTP from other protocols by the first bytes a client sends on an intercepted connection,
/// as Envoy's http_inspector does: an HTTP/1.x method and a space, or HTTP/2's preface ("PRI *").
/// Nothing is consumed, so whoever reads next sees the same bytes.
/// </summary>
public static class ProtocolSniffer
{
    // RFC 9110 methods and PRI (the h2c preface's first word). Longest is 7 letters plus the space.
    private static readonly byte[][] Methods = new[] { "GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "CONNECT ", "OPTIONS ", "TRACE ", "PATCH ", "PRI " }
        .Select(m => System.Text.Encoding.ASCII.GetBytes(m)).ToArray();

    private const int Longest = 8;

    /// <summary>
    /// True for HTTP. False for anything else, and when the client sent nothing within
    /// <paramref name="detectionTimeout"/> (server-first protocols: the server must speak first).
    /// Throws OperationCanceledException when the connection closes.
    /// </summary>
    public static async ValueTask<bool> IsHttpAsync(PipeReader input, TimeSpan detectionTimeout, CancellationToken connectionClosed)
    {
        using var detection = CancellationTokenSource.CreateLinkedTokenSource(connectionClosed);
        detection.CancelAfter(detectionTimeout);
        var head = new byte[Longest];
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(detection.Token);
            }
            catch (OperationCanceledException) when (!connectionClosed.IsCancellationRequested)
            {
                // Bytes of a method prefix may be waiting, examined: the next read returns them at once.
                input.CancelPendingRead();
                return false;
            }
            var buffer = result.Buffer;
            var length = (int)Math.Min(buffer.Length, Longest);
            buffer.Slice(0, length).CopyTo(head);
            var verdict = Classify(head.AsSpan(0, length));
            if (verdict is not null || result.IsCompleted)
            {
                // Nothing consumed or examined: the next read returns these bytes at once.
                input.AdvanceTo(buffer.Start);
                return verdict ?? false;
            }
            // A prefix of a method so far: wait for more bytes.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>true: HTTP; false: not HTTP; null: still a prefix of a method, more bytes needed.</summary>
    public static bool? Classify(ReadOnlySpan<byte> head)
    {
        var prefix = false;
        foreach (var method in Methods)
        {
            if (head.Length >= method.Length && head[..method.Length].SequenceEqual(method))
                return true;
            if (head.Length < method.Length && method.AsSpan(0, head.Length).SequenceEqual(head))
                prefix = true;
        }
        return prefix ? null : false;
    }
}
