using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>Istio AuthorizationPolicy rules: sources, operations and header conditions.</summary>
internal static class AccessPolicyRules
{
    public static void Check(Checks checks, AccessPolicy policy)
    {
        var ns = policy.Metadata?.Namespace ?? ResourceMetadata.DefaultNamespace;
        if (policy.Service is not null)
            checks.KnownService("service", policy.Service, ns);
        checks.Defined("action", policy.Action);
        if (policy.Action == AccessAction.Deny && policy.Rules is { Count: 0 })
            checks.Warning("rules", "a DENY policy without rules matches no request, so it denies nothing");
        checks.Each("rules", policy.Rules, (path, rule) =>
        {
            checks.Each($"{path}.from", rule.From, (sourcePath, source) =>
            {
                checks.Each($"{sourcePath}.principals", source.Principals, (p, principal) => Principal(checks, p, principal));
                checks.Each($"{sourcePath}.services", source.Services, (p, service) =>
                {
                    if (service != "*")
                        checks.DnsLabel(p, service);
                });
                checks.Each($"{sourcePath}.namespaces", source.Namespaces, (p, n) =>
                {
                    if (n != "*")
                        checks.DnsLabel(p, n);
                });
            });
            checks.Each($"{path}.to", rule.To, (operationPath, operation) =>
            {
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
                if (condition.Values is null or { Count: 0 })
                    checks.Error($"{conditionPath}.values", "list at least one value the header must carry");
                else
                    checks.Each($"{conditionPath}.values", condition.Values, (_, _) => { });
            });
        });
    }

    /// <summary>
    /// "*", a SPIFFE ID (spiffe://trust-domain/path), a SPIFFE prefix ending in '*', or a suffix
    /// glob starting with '*' (Istio principals allow one '*' at either end).
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
            ok = principal.StartsWith("spiffe://", StringComparison.Ordinal) && principal.Length > "spiffe://".Length + 1;
        else
            ok = false;
        if (!ok)
            checks.Error(path, $"'{principal}' is not a principal: use a SPIFFE ID such as spiffe://cluster.local/ns/default/sa/frontend, a prefix ending in '*' (spiffe://cluster.local/ns/default/*), a suffix starting with '*' (*/sa/frontend) or '*'");
    }

    private static bool IsSpiffeId(string value)
    {
        const string scheme = "spiffe://";
        if (!value.StartsWith(scheme, StringComparison.Ordinal))
            return false;
        var rest = value[scheme.Length..];
        var slash = rest.IndexOf('/');
        var trustDomain = slash < 0 ? rest : rest[..slash];
        if (!Names.IsTrustDomain(trustDomain))
            return false;
        if (slash < 0)
            return true;
        var segments = rest[(slash + 1)..].Split('/');
        return segments.All(s => s.Length > 0 && s != "." && s != ".." && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
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
