using System.Text;
using Meshwork.Model.Policy;

namespace Meshwork.Proxy.Http1;

public enum LeanParse
{
    /// <summary>A complete head in the accepted subset.</summary>
    Accepted,

    /// <summary>Every line so far is in the subset but the head has not ended yet: read more bytes.</summary>
    Incomplete,

    /// <summary>Outside the subset (or malformed): leave every byte to Kestrel.</summary>
    Fallback,
}

/// <summary>Kestrel's request head limits (KestrelServerLimits), which the lean path must not exceed.</summary>
public readonly record struct LeanLimits(int MaxRequestLineSize, int MaxRequestHeadersTotalSize, int MaxRequestHeaderCount)
{
    /// <summary>The most bytes a head can take before it is certainly over a limit.</summary>
    public int MaxHeadSize => MaxRequestLineSize + MaxRequestHeadersTotalSize;
}

/// <summary>
/// Recognises the one shape of HTTP/1.1 request head the lean path forwards itself, and nothing else.
/// It never rejects: whatever is not plainly in the subset (malformed, ambiguous, or merely unusual) is
/// <see cref="LeanParse.Fallback"/>, and Kestrel, which then reads the same bytes, accepts or rejects it
/// with its own rigour. So the request-smuggling surface is this accept list, which is kept to forms
/// that every parser reads alike (RFC 9112):
/// <list type="bullet">
/// <item>request line <c>METHOD SP origin-form SP HTTP/1.1 CRLF</c>, method GET/HEAD/POST/PUT/DELETE/PATCH/OPTIONS;</item>
/// <item>header lines <c>token ":" OWS value OWS CRLF</c>: no space before the colon, no obs-fold, CRLF only
///   (a bare LF or CR falls back), value bytes VCHAR, SP and HTAB only;</item>
/// <item>each header name at most once (so nothing depends on how repeated fields are combined), Host
///   exactly once, no Transfer-Encoding, Expect, Upgrade or other hop-by-hop field but a Connection of
///   keep-alive or close, Content-Length only as digits;</item>
/// <item>within Kestrel's request line, header bytes and header count limits.</item>
/// </list>
/// Narrower than the design allows on purpose: header values with obs-text (bytes 0x80-0xFF) fall back,
/// because Kestrel decodes them as UTF-8 and the YARP path re-encodes them, so the backend would not see
/// the same bytes; a path that is not already normal (escapes, dot or empty segments) falls back, because
/// the mesh's normalisation rewrites it; a Content-Length of 0, and POST/PUT/PATCH without one, fall back,
/// because HttpClient frames those differently from how they arrived.
/// </summary>
public static class LeanRequestParser
{
    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
    private static readonly string[] BodyMethods = ["POST", "PUT", "PATCH"];

    /// <summary>Fields that change how the message is framed or belong to one hop: never forwarded by the lean path.</summary>
    private static readonly string[] Refused =
    [
        "Transfer-Encoding", "Expect", "Upgrade", "TE", "Trailer", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
        "Proxy-Authenticate", "Proxy-Authentication-Info", "Proxy-Features", "Proxy-Instruction", "Security-Scheme", "ALPN",
        "Close", "HTTP2-Settings",
    ];

    private static ReadOnlySpan<byte> Version => "HTTP/1.1"u8;

    /// <param name="data">The bytes received so far, from the start of a request.</param>
    /// <param name="reason">Why it fell back (for tests and logs), else null.</param>
    public static LeanParse Parse(ReadOnlySpan<byte> data, LeanLimits limits, out LeanRequestHead? head, out string? reason)
    {
        head = null;
        reason = null;
        var lineEnd = data.IndexOf((byte)'\n');
        if (lineEnd < 0)
            return Incomplete(data.Length >= limits.MaxRequestLineSize, "request line too long", out reason);
        // Kestrel counts the line with its CRLF; stay strictly below its limit.
        if (lineEnd + 1 >= limits.MaxRequestLineSize)
            return Fail("request line too long", out reason);
        if (lineEnd == 0 || data[lineEnd - 1] != '\r')
            return Fail("request line not ended by CRLF", out reason);
        if (RequestLine(data[..(lineEnd - 1)], out var method, out var target, out var path, out var query) is { } lineError)
            return Fail(lineError, out reason);

        var headers = new List<KeyValuePair<string, string>>();
        string? host = null;
        long contentLength = -1;
        var close = false;
        var position = lineEnd + 1;
        var headerBytes = 0;
        while (true)
        {
            var rest = data[position..];
            var end = rest.IndexOf((byte)'\n');
            if (end < 0)
                return Incomplete(headerBytes + rest.Length >= limits.MaxRequestHeadersTotalSize, "headers too large", out reason);
            if (end == 0 || rest[end - 1] != '\r')
                return Fail("header line not ended by CRLF", out reason);
            var line = rest[..(end - 1)];
            position += end + 1;
            headerBytes += end + 1;
            if (headerBytes >= limits.MaxRequestHeadersTotalSize)
                return Fail("headers too large", out reason);
            if (line.IsEmpty)
                break;
            if (headers.Count + 1 >= limits.MaxRequestHeaderCount)
                return Fail("too many headers", out reason);
            if (HeaderLine(line, out var name, out var value) is { } headerError)
                return Fail(headerError, out reason);
            foreach (var seen in headers)
            {
                if (string.Equals(seen.Key, name, StringComparison.OrdinalIgnoreCase))
                    return Fail($"repeated header {name}", out reason);
            }
            if (Refused.Contains(name, StringComparer.OrdinalIgnoreCase))
                return Fail($"header {name}", out reason);
            if (string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                if (!IsSimpleHost(value))
                    return Fail("host not a plain name[:port]", out reason);
                host = value;
            }
            else if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                // At most 18 digits: never above long.MaxValue, no sign, no list, no whitespace inside.
                if (value.Length is 0 or > 18 || !value.All(char.IsAsciiDigit))
                    return Fail("content-length not plain digits", out reason);
                // Kestrel keeps "07" as 7 and YARP forwards "7": only the canonical form passes through unchanged.
                if (value.Length > 1 && value[0] == '0')
                    return Fail("content-length with a leading zero", out reason);
                contentLength = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (string.Equals(name, "Connection", StringComparison.OrdinalIgnoreCase))
            {
                if (string.Equals(value, "close", StringComparison.OrdinalIgnoreCase))
                    close = true;
                else if (!string.Equals(value, "keep-alive", StringComparison.OrdinalIgnoreCase))
                    return Fail("connection option other than keep-alive or close", out reason);
            }
            headers.Add(new(name, value));
        }
        if (host is null)
            return Fail("no host", out reason);
        if (contentLength == 0)
            return Fail("content-length 0", out reason);
        if (contentLength < 0 && BodyMethods.Contains(method))
            return Fail($"{method} without content-length", out reason);
        head = new LeanRequestHead
        {
            Method = method,
            Target = target,
            Path = path,
            Query = query,
            Host = host,
            ContentLength = Math.Max(contentLength, 0),
            Close = close,
            Headers = headers,
            Length = position,
        };
        return LeanParse.Accepted;
    }

    private static LeanParse Fail(string why, out string? reason)
    {
        reason = why;
        return LeanParse.Fallback;
    }

    private static LeanParse Incomplete(bool overLimit, string why, out string? reason)
    {
        reason = overLimit ? why : null;
        return overLimit ? LeanParse.Fallback : LeanParse.Incomplete;
    }

    private static string? RequestLine(ReadOnlySpan<byte> line, out string method, out string target, out string path, out string query)
    {
        method = target = path = query = "";
        var space = line.IndexOf((byte)' ');
        if (space <= 0)
            return "no method";
        // The method's string is the list's own: no allocation per request.
        foreach (var known in Methods)
        {
            if (Ascii.Equals(line[..space], known))
                method = known;
        }
        if (method.Length == 0)
            return $"method {Printable(Encoding.Latin1.GetString(line[..space]))}";
        var afterMethod = line[(space + 1)..];
        var second = afterMethod.IndexOf((byte)' ');
        if (second <= 0)
            return "no target";
        var rawTarget = afterMethod[..second];
        if (!afterMethod[(second + 1)..].SequenceEqual(Version))
            return "not HTTP/1.1";
        if (rawTarget[0] != '/')
            return "target not origin-form";
        var question = rawTarget.IndexOf((byte)'?');
        var rawPath = question < 0 ? rawTarget : rawTarget[..question];
        foreach (var b in rawPath)
        {
            if (!IsPathByte(b))
                return "target path byte outside the plain set";
        }
        if (question >= 0 && QueryError(rawTarget[(question + 1)..]) is { } queryError)
            return queryError;
        target = Encoding.ASCII.GetString(rawTarget);
        path = question < 0 ? target : target[..question];
        query = question < 0 ? "" : target[question..];
        if (!RequestPathNormalizer.IsNormal(path))
            return "path not normal";
        return null;
    }

    private static string? QueryError(ReadOnlySpan<byte> query)
    {
        for (var i = 0; i < query.Length; i++)
        {
            var b = query[i];
            if (b == '%')
            {
                if (i + 2 >= query.Length || !char.IsAsciiHexDigit((char)query[i + 1]) || !char.IsAsciiHexDigit((char)query[i + 2]))
                    return "malformed escape in query";
                i += 2;
            }
            else if (!IsPathByte(b) && b != '?')
                return "query byte outside the plain set";
        }
        return null;
    }

    /// <summary>RFC 3986 pchar without escapes, and '/': ALPHA DIGIT - . _ ~ ! $ &amp; ' ( ) * + , ; = : @ /.</summary>
    private static bool IsPathByte(byte b) =>
        char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~' or (byte)'!' or (byte)'$' or (byte)'&'
            or (byte)'\'' or (byte)'(' or (byte)')' or (byte)'*' or (byte)'+' or (byte)',' or (byte)';' or (byte)'=' or (byte)':' or (byte)'@' or (byte)'/';

    private static string? HeaderLine(ReadOnlySpan<byte> line, out string name, out string value)
    {
        name = value = "";
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
            return "header line without a name";
        var rawName = line[..colon];
        foreach (var b in rawName)
        {
            if (!IsTokenByte(b))
                return "header name byte outside token";
        }
        var rawValue = line[(colon + 1)..];
        foreach (var b in rawValue)
        {
            if (b is not ((>= 0x21 and <= 0x7E) or (byte)' ' or (byte)'\t'))
                return "header value byte outside VCHAR/SP/HTAB";
        }
        rawValue = rawValue.Trim(" \t"u8);
        name = Encoding.ASCII.GetString(rawName);
        value = Encoding.ASCII.GetString(rawValue);
        return null;
    }

    /// <summary>RFC 9110 tchar.</summary>
    internal static bool IsTokenByte(byte b) =>
        char.IsAsciiLetterOrDigit((char)b) || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*'
            or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';

    /// <summary>A DNS-style name or IPv4 address, optionally ":port" (1-5 digits); IPv6 literals fall back.</summary>
    private static bool IsSimpleHost(string value)
    {
        var colon = value.IndexOf(':');
        var name = colon < 0 ? value.AsSpan() : value.AsSpan(0, colon);
        if (name.IsEmpty)
            return false;
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '.'))
                return false;
        }
        if (colon < 0)
            return true;
        var port = value.AsSpan(colon + 1);
        return port.Length is >= 1 and <= 5 && !port.ContainsAnyExcept("0123456789");
    }

    private static string Printable(string text) => text.Length > 16 ? text[..16] + "..." : text;
}
