using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;

namespace Meshwork.Proxy.Http1;

/// <summary>What happened to one relayed response.</summary>
internal readonly record struct LeanRelayed(int Status, bool UpstreamReusable, bool ClientMustClose);

/// <summary>
/// Reads an upstream HTTP/1.1 response strictly and relays it to the client as it arrives, never
/// holding a whole body: status line <c>HTTP/1.x DDD reason</c>, header lines as in requests (CRLF
/// only, token names, no space before the colon, no obs-fold), framing by exactly one of
/// Content-Length (digits) or <c>Transfer-Encoding: chunked</c> (relayed chunk by chunk, framing
/// checked), else delimited by the close. 1xx heads are relayed and the final response follows; HEAD,
/// 204 and 304 have no body. Anything else is a <see cref="LeanUpstreamException"/> before the first
/// byte reaches the client (a 502 there), or a cut connection after it, as YARP does.
/// </summary>
internal static class LeanResponseRelay
{
    private static ReadOnlySpan<byte> CrLf => "\r\n"u8;
    private static ReadOnlySpan<byte> ConnectionClose => "Connection: close\r\n"u8;

    /// <param name="progress">Started once the first byte went to the client (from then on a failure can only cut the connection).</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<LeanRelayed> RelayAsync(
        LeanUpstream upstream, PipeWriter client, bool headRequest, bool clientClose, LeanProgress progress, CancellationToken cancellationToken)
    {
        while (true)
        {
            var headLength = await HeadAsync(upstream, cancellationToken);
            var head = Parse(upstream.Pending[..headLength]);
            if (head.Status is >= 100 and < 200)
            {
                if (head.Status == 101)
                    throw new LeanUpstreamException("101 without an upgrade request");
                // An interim response goes on as it is; the final one follows on the same connection.
                client.Write(upstream.Pending[..headLength]);
                upstream.Consume(headLength);
                progress.Started = true;
                await FlushAsync(client, cancellationToken);
                continue;
            }

            var noBody = headRequest || head.Status is 204 or 304;
            var closeDelimited = !noBody && !head.Chunked && head.ContentLength < 0;
            var clientMustClose = clientClose || closeDelimited;
            WriteHead(client, upstream.Pending[..headLength], clientMustClose);
            upstream.Consume(headLength);
            progress.Started = true;
            progress.Status = head.Status;
            if (!noBody)
            {
                if (head.Chunked)
                    await RelayChunkedAsync(upstream, client, cancellationToken);
                else if (head.ContentLength >= 0)
                    await RelayCountedAsync(upstream, client, head.ContentLength, cancellationToken);
                else
                    await RelayToCloseAsync(upstream, client, cancellationToken);
            }
            await FlushAsync(client, cancellationToken);
            // Bytes after the response were never asked for: the connection is not in a known state.
            var reusable = !closeDelimited && !head.Close && upstream.Pending.IsEmpty;
            return new LeanRelayed(head.Status, reusable, clientMustClose);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> HeadAsync(LeanUpstream upstream, CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = upstream.Pending.IndexOf("\r\n\r\n"u8);
            if (end >= 0)
                return end + 4;
            if (!await upstream.FillAsync(cancellationToken))
                throw upstream.Pending.IsEmpty ? new LeanUpstreamClosedException() : new LeanUpstreamException("connection closed inside the response head");
        }
    }

    private readonly record struct ResponseHead(int Status, long ContentLength, bool Chunked, bool Close);

    private static ResponseHead Parse(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf(CrLf);
        var line = head[..lineEnd];
        if (line.Length < 12 || !(line.StartsWith("HTTP/1.1 "u8) || line.StartsWith("HTTP/1.0 "u8)) ||
            !char.IsAsciiDigit((char)line[9]) || !char.IsAsciiDigit((char)line[10]) || !char.IsAsciiDigit((char)line[11]) ||
            (line.Length > 12 && line[12] != ' ') || line[9] == '0')
            throw new LeanUpstreamException("malformed status line");
        foreach (var b in line[12..])
        {
            if (!IsFieldByte(b))
                throw new LeanUpstreamException("malformed reason phrase");
        }
        var status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        var http10 = line[7] == '0';
        long contentLength = -1;
        var chunked = false;
        var close = http10;
        var rest = head[(lineEnd + 2)..^2];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf(CrLf);
            var header = rest[..end];
            rest = rest[(end + 2)..];
            var colon = header.IndexOf((byte)':');
            if (colon <= 0)
                throw new LeanUpstreamException("malformed header line");
            var name = header[..colon];
            foreach (var b in name)
            {
                if (!LeanRequestParser.IsTokenByte(b))
                    throw new LeanUpstreamException("malformed header name");
            }
            var value = header[(colon + 1)..];
            foreach (var b in value)
            {
                if (!IsFieldByte(b))
                    throw new LeanUpstreamException("malformed header value");
            }
            value = value.Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (contentLength >= 0 || value.IsEmpty || value.Length > 18 || value.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
                    throw new LeanUpstreamException("malformed or repeated Content-Length");
                contentLength = long.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                if (chunked || !Ascii.EqualsIgnoreCase(value, "chunked"u8))
                    throw new LeanUpstreamException("transfer coding other than a single chunked");
                chunked = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                close = !http10 && ContainsToken(value, "close"u8) || http10 && !ContainsToken(value, "keep-alive"u8);
            }
        }
        if (chunked && contentLength >= 0)
            throw new LeanUpstreamException("both Content-Length and Transfer-Encoding");
        if (http10 && chunked)
            throw new LeanUpstreamException("chunked in an HTTP/1.0 response");
        return new ResponseHead(status, contentLength, chunked, close);
    }

    /// <summary>The head as received but for the version (always HTTP/1.1 to the client) and the hop-by-hop fields, which are this hop's.</summary>
    private static void WriteHead(PipeWriter client, ReadOnlySpan<byte> head, bool close)
    {
        var lineEnd = head.IndexOf(CrLf);
        client.Write("HTTP/1.1"u8);
        client.Write(head[8..(lineEnd + 2)]);
        var rest = head[(lineEnd + 2)..^2];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf(CrLf);
            var header = rest[..(end + 2)];
            rest = rest[(end + 2)..];
            var name = header[..header.IndexOf((byte)':')];
            if (Ascii.EqualsIgnoreCase(name, "Connection"u8) || Ascii.EqualsIgnoreCase(name, "Keep-Alive"u8) || Ascii.EqualsIgnoreCase(name, "Proxy-Connection"u8))
                continue;
            client.Write(header);
        }
        if (close)
            client.Write(ConnectionClose);
        client.Write(CrLf);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask RelayCountedAsync(LeanUpstream upstream, PipeWriter client, long remaining, CancellationToken cancellationToken)
    {
        while (true)
        {
            var take = (int)Math.Min(remaining, upstream.Pending.Length);
            if (take > 0)
            {
                client.Write(upstream.Pending[..take]);
                upstream.Consume(take);
                remaining -= take;
            }
            if (remaining == 0)
                return;
            await FlushAsync(client, cancellationToken);
            if (!await upstream.FillAsync(cancellationToken))
                throw new IOException("upstream closed inside the response body");
        }
    }

    private static async ValueTask RelayToCloseAsync(LeanUpstream upstream, PipeWriter client, CancellationToken cancellationToken)
    {
        do
        {
            client.Write(upstream.Pending);
            upstream.Consume(upstream.Pending.Length);
            await FlushAsync(client, cancellationToken);
        }
        while (await upstream.FillAsync(cancellationToken));
    }

    /// <summary>Chunk by chunk: size line (hex, optional extensions), data, CRLF; then the last chunk and trailer lines.</summary>
    private static async ValueTask RelayChunkedAsync(LeanUpstream upstream, PipeWriter client, CancellationToken cancellationToken)
    {
        while (true)
        {
            var sizeLine = await LineAsync(upstream, client, cancellationToken);
            var size = ChunkSize(upstream.Pending[..sizeLine]);
            client.Write(upstream.Pending[..(sizeLine + 2)]);
            upstream.Consume(sizeLine + 2);
            if (size == 0)
            {
                // Trailer fields, then the empty line.
                while (true)
                {
                    var trailer = await LineAsync(upstream, client, cancellationToken);
                    client.Write(upstream.Pending[..(trailer + 2)]);
                    upstream.Consume(trailer + 2);
                    if (trailer == 0)
                        return;
                }
            }
            await RelayCountedAsync(upstream, client, size, cancellationToken);
            while (upstream.Pending.Length < 2)
            {
                if (!await upstream.FillAsync(cancellationToken))
                    throw new IOException("upstream closed inside a chunk");
            }
            if (!upstream.Pending[..2].SequenceEqual(CrLf))
                throw new IOException("chunk data not followed by CRLF");
            client.Write(CrLf);
            upstream.Consume(2);
        }
    }

    /// <summary>The length of the next line (CRLF excluded) once it is all buffered; a bare LF or CR is an error.</summary>
    private static async ValueTask<int> LineAsync(LeanUpstream upstream, PipeWriter client, CancellationToken cancellationToken)
    {
        while (true)
        {
            var lf = upstream.Pending.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = upstream.Pending[..lf];
                if (lf == 0 || line[^1] != '\r' || line[..^1].Contains((byte)'\r'))
                    throw new IOException("chunked framing line not ended by CRLF");
                return lf - 1;
            }
            await FlushAsync(client, cancellationToken);
            if (!await upstream.FillAsync(cancellationToken))
                throw new IOException("upstream closed inside chunked framing");
        }
    }

    private static long ChunkSize(ReadOnlySpan<byte> line)
    {
        var semicolon = line.IndexOf((byte)';');
        var hex = semicolon < 0 ? line : line[..semicolon];
        if (hex.IsEmpty || hex.Length > 15 || hex.ContainsAnyExcept("0123456789abcdefABCDEF"u8))
            throw new IOException("malformed chunk size");
        foreach (var b in line)
        {
            if (!IsFieldByte(b))
                throw new IOException("malformed chunk extension");
        }
        return long.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }

    private static bool ContainsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token))
                return true;
        }
        return false;
    }

    /// <summary>Field value bytes: VCHAR, SP, HTAB, obs-text (responses go to the client as they are, not re-encoded).</summary>
    private static bool IsFieldByte(byte b) => b is (>= 0x21 and <= 0x7E) or >= 0x80 or (byte)' ' or (byte)'\t';

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask FlushAsync(PipeWriter client, CancellationToken cancellationToken)
    {
        var flushed = await client.FlushAsync(cancellationToken);
        if (flushed.IsCompleted || flushed.IsCanceled)
            throw new LeanClientGoneException();
    }
}

/// <summary>The upstream closed before any byte of a response: on a reused connection, likely a stale keep-alive.</summary>
internal sealed class LeanUpstreamClosedException() : IOException("upstream closed before responding");

/// <summary>The client's connection is gone; nothing more can be sent to it.</summary>
internal sealed class LeanClientGoneException() : IOException("client connection closed");
