using Meshwork.Model.Policy;
using Meshwork.Model.Resources;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// Puts the normalised path (<see cref="RequestPathNormalizer"/>) in <c>Request.Path</c> before access
/// policies and route matches read it, so the path they judge is the path YARP forwards. It starts
/// from the request target as received, not from Kestrel's Path: Kestrel has already decoded that
/// (all but %2F), so "%252F" and "%2F" would look alike there and a second decode would follow.
/// </summary>
public static class RequestPathNormalization
{
    /// <summary>Null when the request may go on (its Path now normalised), else why it is refused with 400.</summary>
    public static string? Apply(HttpContext context, PathNormalization mode)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
            return null;
        var path = PathOf(target);
        // Asterisk-form (OPTIONS *) has no path; an already normal path is what Kestrel put in Path.
        if (path.IsEmpty || RequestPathNormalizer.IsNormal(path))
            return null;
        var result = RequestPathNormalizer.Normalize(path.ToString(), mode);
        if (result.Error is not null)
            return result.Error;
        context.Request.Path = new PathString(result.Path);
        return null;
    }

    /// <summary>The path of an origin-form ("/a?q") or absolute-form ("http://host/a?q", through HTTP_PROXY) target.</summary>
    internal static ReadOnlySpan<char> PathOf(string target)
    {
        var span = target.AsSpan();
        if (span[0] is not ('/' or '\\'))
        {
            var scheme = span.IndexOf("://", StringComparison.Ordinal);
            if (scheme < 0)
                return default;
            span = span[(scheme + 3)..];
            var start = span.IndexOfAny('/', '?', '#');
            if (start < 0 || span[start] != '/')
                return "/";
            span = span[start..];
        }
        var end = span.IndexOfAny('?', '#');
        return end < 0 ? span : span[..end];
    }
}
