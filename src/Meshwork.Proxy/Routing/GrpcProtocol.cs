using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// What the proxy reads of gRPC over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md): which requests are
/// gRPC calls, the <c>grpc-timeout</c> deadline, and the call's status, which arrives in the
/// <c>grpc-status</c> trailer, or in the headers of a trailers-only response (a call that failed
/// before any message). gRPC errors travel with HTTP 200, so the status is what tells success.
/// </summary>
public static class GrpcProtocol
{
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string ContentType = "application/grpc";
    public const int DeadlineExceeded = 4;

    // The status codes as labels, so a label is never made from the network's text (bounded series).
    private static readonly string[] Labels = Enumerable.Range(0, 17).Select(code => code.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>
    /// Envoy's gRPC retry_on conditions and the status each stands for (router filter,
    /// x-envoy-retry-grpc-on).
    /// </summary>
    public static readonly IReadOnlyDictionary<int, string> RetryConditions = new Dictionary<int, string>
    {
        [1] = "cancelled",
        [4] = "deadline-exceeded",
        [8] = "resource-exhausted",
        [13] = "internal",
        [14] = "unavailable",
    };

    /// <summary>application/grpc, application/grpc+proto, application/grpc;charset=...; not grpc-web, which works over HTTP/1.1.</summary>
    public static bool IsGrpc(string? contentType) =>
        contentType is not null && contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase) &&
        (contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';');

    /// <summary>A gRPC call: HTTP/2 (gRPC needs its trailers and streams) with a gRPC content type.</summary>
    public static bool IsGrpc(HttpRequest request) => HttpProtocol.IsHttp2(request.Protocol) && IsGrpc(request.ContentType);

    /// <summary>
    /// grpc-timeout: at most 8 digits and a unit (H, M, S, m, u, n). Anything else is not a
    /// deadline and is ignored (the route's timeout still applies).
    /// </summary>
    public static TimeSpan? ParseTimeout(StringValues header)
    {
        if (header.Count != 1 || header[0] is not { Length: >= 2 and <= 9 } text)
            return null;
        var digits = text.AsSpan(0, text.Length - 1);
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
                return null;
        }
        var value = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return text[^1] switch
        {
            'H' => TimeSpan.FromHours(value),
            'M' => TimeSpan.FromMinutes(value),
            'S' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMilliseconds(value),
            'u' => TimeSpan.FromMicroseconds(value),
            'n' => TimeSpan.FromTicks(value / 100),
            _ => null,
        };
    }

    /// <summary>A deadline as grpc-timeout in milliseconds (rounded up; 8 digits cover 27 hours, longer is written in seconds).</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        var milliseconds = Math.Max(1, (long)Math.Ceiling(timeout.TotalMilliseconds));
        return milliseconds <= 99_999_999
            ? milliseconds.ToString(CultureInfo.InvariantCulture) + "m"
            : Math.Min(99_999_999, (long)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "S";
    }

    /// <summary>
    /// The status code of a grpc-status value: 0-16; any other text is UNKNOWN (2), as gRPC
    /// clients read it; null when there is none.
    /// </summary>
    public static int? ParseStatus(StringValues value)
    {
        if (StringValues.IsNullOrEmpty(value))
            return null;
        return int.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 0 and <= 16 ? code : 2;
    }

    /// <summary>The call's status as a label ("0"-"16"), from the trailers or the trailers-only headers; "" when the response carries none.</summary>
    public static string StatusLabel(HttpContext context)
    {
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        var status = ParseStatus(trailers is not null && trailers.TryGetValue(StatusHeader, out var trailer) ? trailer : context.Response.Headers[StatusHeader]);
        return status is { } code ? Labels[code] : "";
    }

    /// <summary>Whether a status label is a gRPC error: any status but OK, as Linkerd classifies gRPC responses.</summary>
    public static bool IsError(string statusLabel) => statusLabel.Length > 0 && statusLabel != "0";
}
