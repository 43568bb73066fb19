using System.Globalization;
using System.Text;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// Reads an upstream HTTP/1.1 response strictly and relays it to the client as it arrives, never
/// holding a whole body: status line <c>HTTP/1.x DDD reason</c>, header lines as in requests (CRLF
/// only, token names, no space before the colon, no obs-fold), framing by exactly one of
/// Content-Length (digits) or <c>Transfer-Encoding: chunked</c> (relayed chunk by chunk, framing
/// checked), else delimited by the close. 1xx heads are relayed and the final response follows; HEAD,
/// 204 and 304 have no body. Anything else is a <see cref="LeanUpstreamException"/> before the first
/// byte reaches the client (a 502 there), or an <see cref="IOException"/> after it (the client
/// connection is cut), as YARP does. Incremental: it is given whatever the upstream sent so far and
/// takes what it can, so one exchange's relay is a few fields of a connection's state, not a task.
/// </summary>
internal sealed class LeanResponseRelay
{
    private static ReadOnlySpan<byte> CrLf => "\r\n"u8;
    private static ReadOnlySpan<byte> ConnectionClose => "Connection: close\r\n"u8;

    private enum Stage
    {
        Head,
        Counted,
        ChunkSize,
        ChunkData,
        ChunkEnd,
        Trailer,
        ToClose,
        Done,
    }

    private Stage stage;
    private long remaining;
    private bool headRequest;
    private bool clientClose;
    private bool upstreamClose;

    /// <summary>The first byte went to the client: from then on a failure can only cut the connection.</summary>
    public bool Started { get; private set; }

    /// <summary>The final response's status, once its head was relayed.</summary>
    public int Status { get; private set; }

    /// <summary>The client connection must end after this response (the client asked, or only the close frames the body).</summary>
    public bool ClientMustClose { get; private set; }

    public bool IsDone => stage == Stage.Done;

    /// <summary>After the response: the upstream connection may serve another request (given no byte followed the response).</summary>
    public bool UpstreamReusable => stage == Stage.Done && !upstreamClose;

    /// <summary>Ready for the response to a new request.</summary>
    public void Reset(bool headRequest, bool clientClose)
    {
        stage = Stage.Head;
        remaining = 0;
        this.headRequest = headRequest;
        this.clientClose = clientClose;
        upstreamClose = false;
        Started = false;
        Status = 0;
        ClientMustClose = false;
    }

    /// <summary>
    /// Relays what it can of <paramref name="upstream"/> (the bytes received and not consumed yet) to <paramref name="client"/>,
    /// copying body bytes only while the client buffer holds fewer than <paramref name="clientLimit"/>; returns the bytes consumed.
    /// </summary>
    public int Relay(ReadOnlySpan<byte> upstream, LeanBuffer client, int clientLimit)
    {
        var consumed = 0;
        while (stage != Stage.Done)
        {
            var step = Step(upstream[consumed..], client, clientLimit);
            if (step == 0 && stage != Stage.Done)
                break;
            consumed += step;
        }
        return consumed;
    }

    /// <summary>
    /// The upstream closed its side after everything it sent was given to <see cref="Relay"/>: true when that ends the
    /// response (it is delimited by the close); otherwise the response is cut short, which throws.
    /// </summary>
    public bool EndOfStream(bool nothingPending)
    {
        if (stage == Stage.ToClose)
        {
            stage = Stage.Done;
            return true;
        }
        if (stage == Stage.Done)
            return true;
        if (!Started && stage == Stage.Head)
            throw nothingPending ? new LeanUpstreamClosedException() : new LeanUpstreamException("connection closed inside the response head");
        throw new IOException(stage is Stage.Counted or Stage.ChunkData ? "upstream closed inside the response body" : "upstream closed inside chunked framing");
    }

    private int Step(ReadOnlySpan<byte> data, LeanBuffer client, int clientLimit)
    {
        switch (stage)
        {
            case Stage.Head:
                return Head(data, client);
            case Stage.Counted:
            case Stage.ChunkData:
            {
                var take = (int)Math.Min(remaining, Math.Min(data.Length, clientLimit - client.Length));
                if (take <= 0)
                    return 0;
                client.Append(data[..take]);
                remaining -= take;
                if (remaining == 0)
                    stage = stage == Stage.Counted ? Stage.Done : Stage.ChunkEnd;
                return take;
            }
            case Stage.ChunkEnd:
                if (data.Length < 2)
                    return 0;
                if (!data[..2].SequenceEqual(CrLf))
                    throw new IOException("chunk data not followed by CRLF");
                client.Append(CrLf);
                stage = Stage.ChunkSize;
                return 2;
            case Stage.ChunkSize:
            {
                var line = Line(data);
                if (line < 0)
                    return 0;
                var size = ChunkSize(data[..line]);
                client.Append(data[..(line + 2)]);
                remaining = size;
                stage = size == 0 ? Stage.Trailer : Stage.ChunkData;
                return line + 2;
            }
            case Stage.Trailer:
            {
                // Trailer fields, then the empty line.
                var line = Line(data);
                if (line < 0)
                    return 0;
                client.Append(data[..(line + 2)]);
                if (line == 0)
                    stage = Stage.Done;
                return line + 2;
            }
            case Stage.ToClose:
            {
                var take = Math.Min(data.Length, clientLimit - client.Length);
                if (take <= 0)
                    return 0;
                client.Append(data[..take]);
                return take;
            }
            default:
                return 0;
        }
    }

    private int Head(ReadOnlySpan<byte> data, LeanBuffer client)
    {
        var end = data.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            if (data.Length >= LeanUpstream.MaxHeadSize)
                throw new LeanUpstreamException("response head too large");
            return 0;
        }
        var headLength = end + 4;
        var head = Parse(data[..headLength]);
        if (head.Status is >= 100 and < 200)
        {
            if (head.Status == 101)
                throw new LeanUpstreamException("101 without an upgrade request");
            // An interim response goes on as it is; the final one follows on the same connection.
            client.Append(data[..headLength]);
            Started = true;
            return headLength;
        }
        var noBody = headRequest || head.Status is 204 or 304;
        var closeDelimited = !noBody && !head.Chunked && head.ContentLength < 0;
        ClientMustClose = clientClose || closeDelimited;
        upstreamClose = head.Close || closeDelimited;
        WriteHead(client, data[..headLength], ClientMustClose);
        Started = true;
        Status = head.Status;
        (stage, remaining) = noBody ? (Stage.Done, 0L)
            : head.Chunked ? (Stage.ChunkSize, 0L)
            : head.ContentLength >= 0 ? (head.ContentLength == 0 ? Stage.Done : Stage.Counted, head.ContentLength)
            : (Stage.ToClose, 0L);
        return headLength;
    }

    /// <summary>The length of the next line (CRLF excluded) once it is all there, else -1; a bare LF or CR is an error.</summary>
    private static int Line(ReadOnlySpan<byte> data)
    {
        var lf = data.IndexOf((byte)'\n');
        if (lf < 0)
        {
            if (data.Length >= LeanUpstream.MaxHeadSize)
                throw new IOException("chunked framing line too long");
            return -1;
        }
        var line = data[..lf];
        if (lf == 0 || line[^1] != '\r' || line[..^1].Contains((byte)'\r'))
            throw new IOException("chunked framing line not ended by CRLF");
        return lf - 1;
    }

    internal readonly record struct ResponseHead(int Status, long ContentLength, bool Chunked, bool Close);

    internal static ResponseHead Parse(ReadOnlySpan<byte> head)
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
    private static void WriteHead(LeanBuffer client, ReadOnlySpan<byte> head, bool close)
    {
        var lineEnd = head.IndexOf(CrLf);
        client.Append("HTTP/1.1"u8);
        client.Append(head[8..(lineEnd + 2)]);
        var rest = head[(lineEnd + 2)..^2];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf(CrLf);
            var header = rest[..(end + 2)];
            rest = rest[(end + 2)..];
            var name = header[..header.IndexOf((byte)':')];
            if (Ascii.EqualsIgnoreCase(name, "Connection"u8) || Ascii.EqualsIgnoreCase(name, "Keep-Alive"u8) || Ascii.EqualsIgnoreCase(name, "Proxy-Connection"u8))
                continue;
            client.Append(header);
        }
        if (close)
            client.Append(ConnectionClose);
        client.Append(CrLf);
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

}

/// <summary>The upstream closed before any byte of a response: on a reused connection, likely a stale keep-alive.</summary>
internal sealed class LeanUpstreamClosedException() : IOException("upstream closed before responding");

/// <summary>The client's connection is gone; nothing more can be sent to it.</summary>
internal sealed class LeanClientGoneException() : IOException("client connection closed");
