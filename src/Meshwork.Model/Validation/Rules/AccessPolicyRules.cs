using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>Istio AuthorizationPolicy rules: sources, operations and header conditions.</summary>
internal static class AccessPolicyRules
{
    public const int MaxRules = 64;
    public const int MaxValues = 256;

    public static void Check(Checks checks, AccessPolicy policy)
    {
        var ns = policy.Metadata?.Namespace ?? ResourceMetadata.DefaultNamespace;
        if (policy.Service is not null)
            checks.KnownService("service", policy.Service, ns);
        checks.Defined("action", policy.Action);
        if (policy.Action == AccessAction.Deny && policy.Rules is { Count: 0 })
            checks.Warning("rules", "a DENY policy without rules matches no request, so it denies nothing");
        if (!checks.MaxItems("rules", policy.Rules, MaxRules))
            return;
        checks.Each("rules", policy.Rules, (path, rule) =>
        {
            if (!checks.MaxItems($"{path}.from", rule.From, MaxRules) | !checks.MaxItems($"{path}.to", rule.To, MaxRules)
                | !checks.MaxItems($"{path}.when", rule.When, MaxRules))
                return;
            checks.Each($"{path}.from", rule.From, (sourcePath, source) =>
            {
                if (!checks.MaxItems($"{sourcePath}.principals", source.Principals, MaxValues) | !checks.MaxItems($"{sourcePath}.services", source.Services, MaxValues)
                    | !checks.MaxItems($"{sourcePath}.namespaces", source.Namespaces, MaxValues))
                    return;
                checks.Each($"{sourcePath}.principals", source.Principals, (p, principal) => Principal(checks, p, principal));
                checks.Each($"{sourcePath}.services", source.Services, (p, service) => NameGlob(checks, p, service));
                checks.Each($"{sourcePath}.namespaces", source.Namespaces, (p, n) => NameGlob(checks, p, n));
            });
            checks.Each($"{path}.to", rule.To, (operationPath, operation) =>
            {
                if (!checks.MaxItems($"{operationPath}.methods", operation.Methods, MaxValues) | !checks.MaxItems($"{operationPath}.paths", operation.Paths, MaxValues)
                    | !checks.MaxItems($"{operationPath}.notPaths", operation.NotPaths, MaxValues))
                    return;
                checks.Each($"{operationPath}.methods", operation.Methods, (p, method) =>
                {
                    if (method != "*")
                        checks.HttpMethod(p, method);
                });
                checks.Each($"{operationPath}.paths", operation.Paths, (p, value) => PathGlob(checks, p, value));
                checks.Each($"{operationPath}.notPaths", operation.NotPaths, (p, value) => PathGlob(checks, p, value));
            });
            checks.Each($"{path}.when", rule.When, (conditionPath, condition) =>
            {
                checks.HeaderName($"{conditionPath}.header", condition.Header);
                checks.MaxItems($"{conditionPath}.values", condition.Values, MaxValues);
                // No values: the header must merely be present (as the evaluator applies it).
                checks.Each($"{conditionPath}.values", condition.Values, (_, _) => { });
            });
        });
    }

    /// <summary>
    /// "*", a SPIFFE ID (spiffe://trust-domain/path, or Istio's form without the scheme,
    /// trust-domain/path), such an ID's prefix ending in '*', or a suffix glob starting with '*'
    /// (Istio principals allow one '*' at either end).
    /// </summary>
    private static void Principal(Checks checks, string path, string principal)
    {
        if (principal == "*")
            return;
        var stars = principal.Count(c => c == '*');
        bool ok;
        if (stars == 0)
            ok = IsSpiffeId(principal);
        else if (stars == 1 && principal.StartsWith('*'))
            ok = principal.Length > 1;
        else if (stars == 1 && principal.EndsWith('*'))
            ok = IsSpiffePrefix(principal[..^1]);
        else
            ok = false;
        if (!ok)
            checks.Error(path, $"'{principal}' is not a principal: use a SPIFFE ID such as spiffe://cluster.local/ns/default/sa/frontend, a prefix ending in '*' (spiffe://cluster.local/ns/default/*), a suffix starting with '*' (*/sa/frontend) or '*'");
    }

    private const string SpiffeScheme = "spiffe://";

    /// <summary>A prefix of a SPIFFE ID that names at least the trust domain: "spiffe://cluster.local/ns/", "cluster.local/".</summary>
    private static bool IsSpiffePrefix(string prefix)
    {
        var rest = prefix.StartsWith(SpiffeScheme, StringComparison.Ordinal) ? prefix[SpiffeScheme.Length..] : prefix;
        var slash = rest.IndexOf('/');
        return slash > 0 && Names.IsTrustDomain(rest[..slash]);
    }

    private static bool IsSpiffeId(string value)
    {
        var rest = value.StartsWith(SpiffeScheme, StringComparison.Ordinal) ? value[SpiffeScheme.Length..] : value;
        var slash = rest.IndexOf('/');
        // Without the scheme (Istio's spelling) a path is required, so a bare word is not taken for a trust domain.
        if (slash < 0 && !value.StartsWith(SpiffeScheme, StringComparison.Ordinal))
            return false;
        var trustDomain = slash < 0 ? rest : rest[..slash];
        if (!Names.IsTrustDomain(trustDomain))
            return false;
        if (slash < 0)
            return true;
        var segments = rest[(slash + 1)..].Split('/');
        return segments.All(s => s.Length > 0 && s != "." && s != ".." && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
    }

    /// <summary>Source services and namespaces: a DNS label, "*", or a label fragment with one '*' at either end.</summary>
    private static void NameGlob(Checks checks, string path, string value)
    {
        if (value == "*")
            return;
        var fragment = value.EndsWith('*') ? value[..^1] : value.StartsWith('*') ? value[1..] : null;
        if (fragment is null)
            checks.DnsLabel(path, value);
        else if (fragment.Length == 0 || !fragment.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            checks.Error(path, $"'{value}' is not a name pattern: use a name, '*', or part of a name with '*' at the start or end (front*)");
    }

    /// <summary>Access policy paths: exact "/x", prefix "/x*", suffix "*.json" or "*".</summary>
    private static void PathGlob(Checks checks, string path, string value)
    {
        if (value == "*")
            return;
        var stars = value.Count(c => c == '*');
        var ok = stars switch
        {
            0 => value.StartsWith('/'),
            1 when value.EndsWith('*') => value.StartsWith('/'),
            1 when value.StartsWith('*') => value.Length > 1,
            _ => false,
        };
        if (!ok)
            checks.Error(path, $"'{value}' is not a path pattern: use an exact path (/api/users), a prefix ending in '*' (/api/*), a suffix starting with '*' (*.json) or '*'");
    }
}
