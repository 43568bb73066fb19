namespace Meshwork.Proxy.Http1;

/// <summary>
/// A request head the lean HTTP/1.1 path accepted (<see cref="LeanRequestParser"/>): origin-form target,
/// exactly one Host, body framed by at most one Content-Length. Strings are ASCII by construction.
/// </summary>
public sealed class LeanRequestHead
{
    public required string Method { get; init; }

    /// <summary>The request target as received ("/a/b?q=1").</summary>
    public required string Target { get; init; }

    /// <summary>The target up to '?': already normal (no escapes, dot segments or empty segments).</summary>
    public required string Path { get; init; }

    /// <summary>From '?' on, or "" (as ASP.NET Core's QueryString).</summary>
    public required string Query { get; init; }

    /// <summary>The Host header's value (host[:port]).</summary>
    public required string Host { get; init; }

    /// <summary>Body bytes that follow the head: the Content-Length, else 0.</summary>
    public required long ContentLength { get; init; }

    /// <summary>The client sent <c>Connection: close</c>: the connection ends after this response.</summary>
    public required bool Close { get; init; }

    /// <summary>Header lines in the order received, values without surrounding whitespace; Connection included.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }

    /// <summary>Bytes of the head, final empty line included.</summary>
    public required int Length { get; init; }
}
