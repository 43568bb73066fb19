using System.Text.RegularExpressions;
using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Runtime;

/// <summary>
/// One HttpRoute match, pre-compiled (regexes built once per snapshot, not per request). Regexes
/// run with the non-backtracking engine (<see cref="RegexSafety.Compile"/>): linear in the input
/// whatever the pattern, so a match never needs a timeout on the event loop that runs it.
/// </summary>
public sealed class RouteMatcher
{
    private readonly PathMatchType? pathType;
    private readonly string pathValue = "/";
    private readonly Regex? pathRegex;
    private readonly string? method;
    private readonly (string Name, string Value, Regex? Regex)[] headers;
    private readonly (string Name, string Value, Regex? Regex)[] queryParams;

    public RouteMatcher(HttpRouteMatch match)
    {
        if (match.Path is { } path)
        {
            pathType = path.Type;
            pathValue = path.Type == PathMatchType.PathPrefix ? path.Value.TrimEnd('/') : path.Value;
            if (path.Type == PathMatchType.RegularExpression)
                pathRegex = RegexSafety.Compile(path.Value);
        }
        method = match.Method;
        headers = match.Headers.Select(h => (h.Name, h.Value, h.Type == StringMatchType.RegularExpression ? RegexSafety.Compile(h.Value) : null)).ToArray();
        queryParams = match.QueryParams.Select(q => (q.Name, q.Value, q.Type == StringMatchType.RegularExpression ? RegexSafety.Compile(q.Value) : null)).ToArray();
    }

    /// <summary>The prefix a PathPrefix match consumed ("" otherwise), for ReplacePrefixMatch rewrites.</summary>
    public string MatchedPrefix => pathType == PathMatchType.PathPrefix ? pathValue : "";

    public bool Matches(HttpRequest request)
    {
        if (method is not null && !string.Equals(method, request.Method, StringComparison.OrdinalIgnoreCase))
            return false;
        if (pathType is { } type)
        {
            var path = request.Path.Value ?? "/";
            var ok = type switch
            {
                PathMatchType.Exact => string.Equals(path, pathValue, StringComparison.Ordinal),
                PathMatchType.PathPrefix => PrefixMatches(path, pathValue),
                _ => pathRegex!.IsMatch(path),
            };
            if (!ok)
                return false;
        }
        foreach (var (name, value, regex) in headers)
        {
            if (!request.Headers.TryGetValue(name, out var actual))
                return false;
            var text = actual.ToString();
            if (regex is null ? !string.Equals(text, value, StringComparison.Ordinal) : !regex.IsMatch(text))
                return false;
        }
        foreach (var (name, value, regex) in queryParams)
        {
            if (!request.Query.TryGetValue(name, out var actual))
                return false;
            var text = actual.ToString();
            if (regex is null ? !string.Equals(text, value, StringComparison.Ordinal) : !regex.IsMatch(text))
                return false;
        }
        return true;
    }

    /// <summary>Gateway API prefix semantics: whole path segments ("/foo" matches /foo and /foo/bar, not /foobar).</summary>
    private static bool PrefixMatches(string path, string prefix) =>
        prefix.Length == 0 ||
        (path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/'));
}
