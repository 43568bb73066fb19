using Microsoft.Net.Http.Headers;

namespace Meshwork.Portal.Api;

/// <summary>A resource's ETag is its store version: "7". If-Match carries the version the client read.</summary>
public static class ETags
{
    public static string For(long version) => $"\"{version}\"";

    /// <summary>The version named by If-Match; null when absent. "*" means "whatever is current" (returns -1).</summary>
    public static bool TryReadIfMatch(HttpRequest request, out long? version)
    {
        version = null;
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header))
            return true;
        if (header.Trim() == "*")
        {
            version = -1;
            return true;
        }
        if (!EntityTagHeaderValue.TryParse(header.Trim(), out var tag))
            return false;
        var text = tag.Tag.ToString().Trim('"');
        if (!long.TryParse(text, out var parsed) || parsed < 0)
            return false;
        version = parsed;
        return true;
    }
}
