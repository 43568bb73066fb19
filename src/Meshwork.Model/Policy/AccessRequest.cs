namespace Meshwork.Model.Policy;

/// <summary>
/// What an access decision looks at: the caller (from its mTLS certificate; null principal for an
/// unauthenticated caller) and the request. The portal's "can A call B?" simulator builds one by hand.
/// </summary>
public sealed record AccessRequest
{
    /// <summary>The destination service and namespace (the workload the policies protect).</summary>
    public required string DestinationService { get; init; }
    public string DestinationNamespace { get; init; } = Resources.ResourceMetadata.DefaultNamespace;

    /// <summary>The caller's SPIFFE id, e.g. spiffe://cluster.local/ns/default/sa/web; null when not authenticated.</summary>
    public string? SourcePrincipal { get; init; }

    public string? SourceService { get; init; }
    public string? SourceNamespace { get; init; }

    /// <summary>
    /// A TCP connection (a TcpRoute's L4 relay) rather than an HTTP request: there is no method, path or
    /// header, so a rule's <c>to</c> and <c>when</c> cannot be checked (see <see cref="AccessPolicyEvaluator"/>).
    /// </summary>
    public bool Tcp { get; init; }

    public string Method { get; init; } = "GET";

    /// <summary>The request path after <see cref="RequestPathNormalizer"/> (decoded, no query).</summary>
    public string Path { get; init; } = "/";

    /// <summary>Header lookup (case-insensitive names); null means the header is absent.</summary>
    public Func<string, string?> Header { get; init; } = _ => null;

    /// <summary>Parses spiffe://TRUST-DOMAIN/ns/NAMESPACE/sa/SERVICE into its namespace and service.</summary>
    public static (string? Namespace, string? Service) ParseSpiffeId(string? spiffeId)
    {
        if (spiffeId is null || !spiffeId.StartsWith("spiffe://", StringComparison.Ordinal))
            return (null, null);
        var parts = spiffeId["spiffe://".Length..].Split('/');
        return parts.Length == 5 && parts[1] == "ns" && parts[3] == "sa" ? (parts[2], parts[4]) : (null, null);
    }
}

/// <summary>The outcome and the policy that decided it (named in the proxy's x-meshwork-denied-by header).</summary>
public sealed record AccessDecision(bool Allowed, string DecidedBy, string Reason)
{
    /// <summary>DecidedBy when no ALLOW policy exists and the mesh default mode decides.</summary>
    public const string MeshDefault = "mesh-default";

    /// <summary>DecidedBy when ALLOW policies exist and none matched.</summary>
    public const string NoAllowMatched = "no-allow-matched";

    /// <summary>DecidedBy when the path cannot be normalised: the proxy refuses the request (400) before any policy.</summary>
    public const string RefusedPath = "bad-path";
}
