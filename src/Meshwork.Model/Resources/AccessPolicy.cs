namespace Meshwork.Model.Resources;

/// <summary>
/// Istio AuthorizationPolicy semantics, enforced by the destination's inbound listener: DENY
/// policies are evaluated before ALLOW; when any ALLOW policy selects a workload, a request must
/// match one of them; otherwise the mesh default mode decides.
/// </summary>
public sealed record AccessPolicy : Resource
{
    public override ResourceKind Kind => ResourceKind.AccessPolicy;

    /// <summary>The destination service the policy protects; null selects every service in the namespace.</summary>
    public string? Service { get; init; }

    public AccessAction Action { get; init; } = AccessAction.Allow;

    /// <summary>Any rule matching makes the policy match. No rules: an ALLOW matches nothing, a DENY matches nothing.</summary>
    public IReadOnlyList<AccessRule> Rules { get; init; } = [];
}

public enum AccessAction
{
    Allow,
    Deny,
}

/// <summary>All of From, To and When must match; an empty list matches anything.</summary>
public sealed record AccessRule
{
    public IReadOnlyList<AccessSource> From { get; init; } = [];
    public IReadOnlyList<AccessOperation> To { get; init; } = [];
    public IReadOnlyList<AccessCondition> When { get; init; } = [];
}

/// <summary>Who calls: SPIFFE principals (with * prefix/suffix globs), service names or namespaces.</summary>
public sealed record AccessSource
{
    public IReadOnlyList<string> Principals { get; init; } = [];
    public IReadOnlyList<string> Services { get; init; } = [];
    public IReadOnlyList<string> Namespaces { get; init; } = [];
}

/// <summary>What is called: methods and paths (exact, "prefix*" or "*suffix").</summary>
public sealed record AccessOperation
{
    public IReadOnlyList<string> Methods { get; init; } = [];
    public IReadOnlyList<string> Paths { get; init; } = [];
    public IReadOnlyList<string> NotPaths { get; init; } = [];
}

/// <summary>A request header that must carry one of the values.</summary>
public sealed record AccessCondition
{
    public required string Header { get; init; }
    public IReadOnlyList<string> Values { get; init; } = [];
}
