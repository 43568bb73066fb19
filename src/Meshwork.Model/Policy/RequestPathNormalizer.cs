using System.Text;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Policy;

/// <summary>
/// Request path normalisation as Istio does it before authorization (istio.io, "Authorization
/// Policy Normalization"), so that paths a backend reads as the same resource look the same to
/// access policies and route matches: <c>//admin</c>, <c>/admin/../admin</c>, <c>/%61dmin</c> and
/// <c>/./admin</c> are all <c>/admin</c>. In order:
/// 1. percent-escapes are decoded, once (no double decoding: <c>%252e</c> stays a literal <c>%2e</c>);
///    %2F and %5C are refused or decoded to '/' as <see cref="PathNormalization"/> says; %00 and
///    malformed escapes or UTF-8 are refused (Istio refuses %00 with 400);
/// 2. '\' is read as '/' (Envoy's normalize_path);
/// 3. dot segments are resolved (RFC 3986 section 5.2.4);
/// 4. repeated slashes are merged (a trailing slash is kept).
/// The result is the decoded path (an ASP.NET PathString value). The proxy forwards exactly that, so
/// a backend that decodes what it receives reads the very path the policies matched. The query is
/// not part of the path.
/// </summary>
public static class RequestPathNormalizer
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A normalised path, or why the request must be refused (400).</summary>
    public readonly record struct Result(string? Path, string? Error);

    /// <summary>
    /// True when <paramref name="rawPath"/> (as received, percent-encoded) is already normal: it starts
    /// with '/', has no escape, no '\', no empty and no dot segment. Then its decoded form is itself,
    /// and normalising it would change nothing (the proxy's allocation-free fast path).
    /// </summary>
    public static bool IsNormal(ReadOnlySpan<char> rawPath)
    {
        if (rawPath.IsEmpty || rawPath[0] != '/' || rawPath.IndexOfAny('%', '\\') >= 0)
            return false;
        var rest = rawPath[1..];
        while (true)
        {
            if (!rest.IsEmpty && rest[0] == '/')
                return false; // an empty segment: "//"
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (segment is "." or "..")
                return false;
            if (slash < 0)
                return true;
            rest = rest[(slash + 1)..];
            if (rest.IsEmpty)
                return true; // one trailing slash
        }
    }

    /// <summary>Normalises <paramref name="rawPath"/>, the path part of a request target as received (percent-encoded, no query).</summary>
    public static Result Normalize(string rawPath, PathNormalization mode)
    {
        if (rawPath.Length == 0 || rawPath[0] is not ('/' or '\\'))
            return new(null, $"the path must start with '/', was '{rawPath}'");
        if (IsNormal(rawPath))
            return new(rawPath, null);
        var decoded = Decode(rawPath, mode, out var error);
        return decoded is null ? new(null, error) : new(MergeSlashes(RemoveDotSegments(decoded)), null);
    }

    /// <summary>Decodes every escape once; '\' (raw or from %5C) becomes '/'.</summary>
    private static string? Decode(string raw, PathNormalization mode, out string? error)
    {
        error = null;
        var bytes = Encoding.UTF8.GetBytes(raw);
        var output = new byte[bytes.Length];
        var length = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= bytes.Length || !IsHex(bytes[i + 1]) || !IsHex(bytes[i + 2]))
                {
                    error = $"'%' must be followed by two hex digits (at character {i})";
                    return null;
                }
                b = (byte)((HexValue(bytes[i + 1]) << 4) | HexValue(bytes[i + 2]));
                if (b == 0)
                {
                    error = "an encoded NUL (%00) is not allowed in a path";
                    return null;
                }
                if (b is (byte)'/' or (byte)'\\' && mode != PathNormalization.DecodeAndMergeSlashes)
                {
                    error = $"an encoded slash (%{(char)bytes[i + 1]}{(char)bytes[i + 2]}) is refused: a backend that decodes it would read another path than "
                        + "access policies matched (mesh setting pathNormalization: DecodeAndMergeSlashes decodes it instead)";
                    return null;
                }
                i += 2;
            }
            output[length++] = b == (byte)'\\' ? (byte)'/' : b;
        }
        try
        {
            return StrictUtf8.GetString(output, 0, length);
        }
        catch (DecoderFallbackException)
        {
            error = "the percent-decoded path is not valid UTF-8";
            return null;
        }
    }

    /// <summary>RFC 3986 section 5.2.4 on a path that starts with '/': "." goes, ".." removes the segment before it.</summary>
    private static string RemoveDotSegments(string path)
    {
        var segments = path.Split('/');
        var output = new List<string>(segments.Length);
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            if (segment is "." or "..")
            {
                if (segment == ".." && output.Count > 0)
                    output.RemoveAt(output.Count - 1);
                if (last)
                    output.Add(""); // "/a/.." is "/", "/a/b/." is "/a/b/": the path ends in a directory
                continue;
            }
            output.Add(segment);
        }
        return "/" + string.Join('/', output);
    }

    /// <summary>"//a///b/" is "/a/b/".</summary>
    private static string MergeSlashes(string path)
    {
        if (!path.Contains("//", StringComparison.Ordinal))
            return path;
        var sb = new StringBuilder(path.Length);
        foreach (var c in path)
        {
            if (c != '/' || sb.Length == 0 || sb[^1] != '/')
                sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static int HexValue(byte b) => b <= (byte)'9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
