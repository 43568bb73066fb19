using Meshwork.Model.Resources;

namespace Meshwork.Model.Policy;

/// <summary>
/// Istio AuthorizationPolicy semantics, shared by the proxy's inbound listener and the portal's
/// simulator: a matching DENY policy denies; else, when ALLOW policies select the destination, one
/// must match; else the mesh default mode decides. Pure and allocation-light (runs per request).
/// Within a rule From, To and When must all match; list entries are alternatives (any), and within
/// one source or operation every non-empty field must match (all).
/// Paths are compared after <see cref="RequestPathNormalizer"/> (the caller normalises). Istio
/// compares paths case-sensitively, yet many backends read <c>/Admin</c> as <c>/admin</c>; so here
/// case never decides in the caller's favour: DENY <c>paths</c> (and ALLOW <c>notPaths</c>) ignore
/// case, ALLOW <c>paths</c> (and DENY <c>notPaths</c>) respect it. A DENY on <c>/admin</c> stops
/// <c>/ADMIN</c>; an ALLOW on <c>/admin</c> does not admit <c>/ADMIN</c>.
/// A TCP connection has only a source, so HTTP-only fields (<c>to</c>, <c>when</c>) resolve as Istio
/// resolves them on a TCP port, again the way that denies more: an ALLOW rule holding them matches no
/// connection; a DENY rule holding them is checked on its sources alone.
/// </summary>
public static class AccessPolicyEvaluator
{
    public static AccessDecision Evaluate(IReadOnlyList<AccessPolicy> policies, AccessMode defaultMode, AccessRequest request)
    {
        var anyAllow = false;
        foreach (var policy in policies)
        {
            if (!Selects(policy, request) || policy.Action != AccessAction.Deny)
                continue;
            if (Matches(policy, request, PathCase.Deny))
                return new AccessDecision(false, policy.Metadata.Name, $"DENY policy '{policy.Metadata.Name}' matched");
        }
        foreach (var policy in policies)
        {
            if (!Selects(policy, request) || policy.Action != AccessAction.Allow)
                continue;
            anyAllow = true;
            if (Matches(policy, request, PathCase.Allow))
                return new AccessDecision(true, policy.Metadata.Name, $"ALLOW policy '{policy.Metadata.Name}' matched");
        }
        if (anyAllow)
            return new AccessDecision(false, AccessDecision.NoAllowMatched, "ALLOW policies select the service and none matched");
        return defaultMode == AccessMode.Permissive
            ? new AccessDecision(true, AccessDecision.MeshDefault, "no ALLOW policy selects the service; the mesh is permissive")
            : new AccessDecision(false, AccessDecision.MeshDefault, "no ALLOW policy selects the service; the mesh denies by default");
    }

    /// <summary>A policy protects every service of its namespace, or only the one it names.</summary>
    public static bool Selects(AccessPolicy policy, AccessRequest request) =>
        policy.Metadata.Namespace == request.DestinationNamespace &&
        (policy.Service is null || policy.Service == request.DestinationService);

    /// <summary>How a policy's paths and notPaths compare with the request path: the way that can only deny more.</summary>
    /// <param name="HttpFieldsHoldOnTcp">Whether a rule's to/when count as matched on a TCP connection (DENY) or as unmatched (ALLOW).</param>
    private readonly record struct PathCase(StringComparison Paths, StringComparison NotPaths, bool HttpFieldsHoldOnTcp)
    {
        public static readonly PathCase Deny = new(StringComparison.OrdinalIgnoreCase, StringComparison.Ordinal, HttpFieldsHoldOnTcp: true);
        public static readonly PathCase Allow = new(StringComparison.Ordinal, StringComparison.OrdinalIgnoreCase, HttpFieldsHoldOnTcp: false);
    }

    private static bool Matches(AccessPolicy policy, AccessRequest request, PathCase pathCase)
    {
        foreach (var rule in policy.Rules)
        {
            if (MatchesRule(rule, request, pathCase))
                return true;
        }
        return false;
    }

    private static bool MatchesRule(AccessRule rule, AccessRequest request, PathCase pathCase)
    {
        var from = rule.From.Count == 0 || rule.From.Any(s => MatchesSource(s, request));
        if (request.Tcp && (rule.To.Count > 0 || rule.When.Count > 0))
            return from && pathCase.HttpFieldsHoldOnTcp;
        return from &&
            (rule.To.Count == 0 || rule.To.Any(o => MatchesOperation(o, request, pathCase))) &&
            rule.When.All(c => MatchesCondition(c, request));
    }

    private static bool MatchesSource(AccessSource source, AccessRequest request)
    {
        if (request.SourcePrincipal is null)
            return false; // every source clause needs an authenticated peer
        if (source.Principals.Count > 0 && !source.Principals.Any(p => PrincipalMatches(p, request.SourcePrincipal)))
            return false;
        if (source.Services.Count > 0 && (request.SourceService is null || !source.Services.Any(s => Glob(s, request.SourceService, StringComparison.Ordinal))))
            return false;
        if (source.Namespaces.Count > 0 && (request.SourceNamespace is null || !source.Namespaces.Any(n => Glob(n, request.SourceNamespace, StringComparison.Ordinal))))
            return false;
        return true;
    }

    /// <summary>Istio writes principals without the scheme ("cluster.local/ns/x/sa/y"); accept both forms.</summary>
    private static bool PrincipalMatches(string pattern, string principal)
    {
        const string scheme = "spiffe://";
        if (Glob(pattern, principal, StringComparison.Ordinal))
            return true;
        return principal.StartsWith(scheme, StringComparison.Ordinal) && Glob(pattern, principal[scheme.Length..], StringComparison.Ordinal);
    }

    private static bool MatchesOperation(AccessOperation operation, AccessRequest request, PathCase pathCase)
    {
        if (operation.Methods.Count > 0 && !operation.Methods.Any(m => Glob(m, request.Method, StringComparison.OrdinalIgnoreCase)))
            return false;
        if (operation.Paths.Count > 0 && !operation.Paths.Any(p => Glob(p, request.Path, pathCase.Paths)))
            return false;
        if (operation.NotPaths.Any(p => Glob(p, request.Path, pathCase.NotPaths)))
            return false;
        return true;
    }

    private static bool MatchesCondition(AccessCondition condition, AccessRequest request)
    {
        var value = request.Header(condition.Header);
        if (value is null)
            return false;
        return condition.Values.Count == 0 || condition.Values.Any(v => Glob(v, value, StringComparison.Ordinal));
    }

    /// <summary>Istio string match: "*" any, "prefix*", "*suffix", otherwise exact.</summary>
    public static bool Glob(string pattern, string value, StringComparison comparison)
    {
        if (pattern == "*")
            return true;
        if (pattern.Length > 1 && pattern[^1] == '*')
            return value.StartsWith(pattern.AsSpan(0, pattern.Length - 1), comparison);
        if (pattern.Length > 1 && pattern[0] == '*')
            return value.EndsWith(pattern.AsSpan(1), comparison);
        return string.Equals(pattern, value, comparison);
    }
}
