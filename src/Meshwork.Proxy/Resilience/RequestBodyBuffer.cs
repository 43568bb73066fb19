namespace Meshwork.Proxy.Resilience;

/// <summary>
/// Envoy's per-request buffer (per_request_buffer_limit_bytes) for retries and mirrors: a request
/// body that fits in <see cref="Limit"/> is read into memory once, so every retry attempt and every
/// mirror can send it again. A larger body, declared by Content-Length or found while reading a
/// chunked one, is streamed to the primary once, unbuffered: that request is neither retried nor
/// mirrored. Only called for requests that will retry or mirror, so the common path never buffers.
/// Unlike Envoy, which streams while it buffers, the body is read before it is forwarded: simpler,
/// and at most 64 KiB of delay. gRPC over HTTP/2 is never buffered (YARP's streaming heuristic): a
/// bidirectional stream's client waits for answers before it sends more, so waiting for its end
/// would hang the call.
/// </summary>
public static class RequestBodyBuffer
{
    /// <summary>
    /// 64 KiB: API payloads fit, and a proxy holding many requests at once cannot be made to hold
    /// much memory (Envoy's default is 1 MiB per request and connection).
    /// </summary>
    public const int Limit = 64 * 1024;

    private const int FirstChunk = 4 * 1024;

    /// <summary>
    /// Reads the body when it fits and returns it; null when it does not. Either way the request's
    /// Body afterwards yields exactly what the client sent, so the primary forwards it unchanged.
    /// </summary>
    public static async ValueTask<ReadOnlyMemory<byte>?> TryBufferAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var declared = request.ContentLength;
        if (declared > Limit || IsGrpcStream(request))
            return null;
        var original = request.Body;
        // A declared length is exact (Kestrel enforces it); a chunked body may be anything, so it
        // grows to one byte past the limit, which is how "too large" is told from "exactly the limit".
        var buffer = new byte[declared is { } length ? (int)length : FirstChunk];
        var filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                if (declared is not null || buffer.Length > Limit)
                    break;
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, Limit + 1));
            }
            var read = await original.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
                break;
            filled += read;
        }
        if (filled > Limit)
        {
            request.Body = new PrefixedStream(buffer.AsMemory(0, filled), original);
            return null;
        }
        var body = buffer.AsMemory(0, filled);
        request.Body = new MemoryStream(buffer, 0, filled, writable: false);
        return body;
    }

    private static bool IsGrpcStream(HttpRequest request) =>
        (HttpProtocol.IsHttp2(request.Protocol) || HttpProtocol.IsHttp3(request.Protocol)) &&
        request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);
}
