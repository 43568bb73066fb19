using Meshwork.Model.Validation;
using Meshwork.Protocol.Mesh;

namespace Meshwork.ControlPlane.Tap;

/// <summary>
/// Checks every field of a sample a proxy sends before it reaches a portal: a proxy reports only
/// requests into its own service version, names follow the model's rules, strings are bounded, and
/// nothing looks like a query string. Returns the first problem, naming the field.
/// </summary>
public static class TapSampleValidator
{
    /// <summary>More than a proxy's buffer can hold between two flushes (it sends at most 64).</summary>
    public const int MaxSamplesPerBatch = 128;
    public const int MaxPathLength = 512;
    private const int MaxMethodLength = 16;
    private static readonly long MaxLatencyMicros = (long)TimeSpan.FromHours(1).TotalMicroseconds;

    public static string? Problem(RequestSample sample, string service, string @namespace, string version)
    {
        if (sample.DestinationService != service || sample.DestinationNamespace != @namespace || sample.DestinationVersion != version)
            return $"destination '{sample.DestinationNamespace}/{sample.DestinationService}/{sample.DestinationVersion}' is not the proxy's own '{@namespace}/{service}/{version}'";
        if (sample.SourceService != "unknown" && !IdentityNames.IsDnsLabel(sample.SourceService))
            return $"source_service '{Shorten(sample.SourceService)}' is not a valid name: {IdentityNames.DnsLabelRule}";
        if (!OptionalLabel(sample.SourceNamespace)) return $"source_namespace '{Shorten(sample.SourceNamespace)}' is not a valid name: {IdentityNames.DnsLabelRule}";
        if (!OptionalLabel(sample.SourceVersion)) return $"source_version '{Shorten(sample.SourceVersion)}' is not a valid name: {IdentityNames.DnsLabelRule}";
        if (sample.Method.Length is 0 or > MaxMethodLength || !sample.Method.All(IsTokenChar))
            return $"method '{Shorten(sample.Method)}' is not an HTTP method token of 1-{MaxMethodLength} characters";
        if (sample.Path.Length > MaxPathLength) return $"path is longer than {MaxPathLength} characters";
        if (!sample.Path.StartsWith('/') || sample.Path.Any(c => c is '?' or '#' || char.IsControl(c)))
            return $"path '{Shorten(sample.Path)}' is not an absolute path without query, fragment or control characters";
        if (sample.Status != 0 && sample.Status is < 100 or > 599) return $"status {sample.Status} is not 0 or 100-599";
        if (sample.LatencyMicros < 0 || sample.LatencyMicros > MaxLatencyMicros) return $"latency_micros {sample.LatencyMicros} is not 0-{MaxLatencyMicros}";
        if (sample.TraceId.Length != 0 && (sample.TraceId.Length != 32 || !sample.TraceId.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')))
            return $"trace_id '{Shorten(sample.TraceId)}' is not 32 lowercase hex digits";
        if (sample.AtUnixMs <= 0) return $"at_unix_ms {sample.AtUnixMs} is not a time";
        return null;
    }

    private static bool OptionalLabel(string value) => value.Length == 0 || IdentityNames.IsDnsLabel(value);

    // RFC 9110 token characters.
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);

    /// <summary>Refusals go into fleet events: a hostile value is quoted only in part.</summary>
    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "...";
}
