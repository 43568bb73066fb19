namespace Meshwork.Model.Resources;

/// <summary>Mesh-wide settings; one resource named <see cref="SingletonName"/> in the default namespace.</summary>
public sealed record MeshSettings : Resource
{
    public const string SingletonName = "mesh";

    public override ResourceKind Kind => ResourceKind.MeshSettings;

    public AccessMode DefaultAccessMode { get; init; } = AccessMode.Permissive;

    /// <summary>SPIFFE trust domain: identities are spiffe://TRUST-DOMAIN/ns/NAMESPACE/sa/SERVICE.</summary>
    public string TrustDomain { get; init; } = "cluster.local";

    public TimeSpan CertificateTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Applied to routes that set no request timeout; null means none.</summary>
    public TimeSpan? DefaultRequestTimeout { get; init; }

    /// <summary>
    /// How proxies normalise request paths before access policies and route matches see them (and
    /// before forwarding them), after Istio's meshConfig.pathNormalization; see <see cref="Policy.RequestPathNormalizer"/>.
    /// </summary>
    public PathNormalization PathNormalization { get; init; } = PathNormalization.MergeSlashes;

    /// <summary>The portal's topology draws an edge or version degraded when more than this percentage of its requests failed (Kiali's default, 0.1).</summary>
    public double DegradedAbovePercent { get; init; } = 0.1;

    /// <summary>... and failing above this percentage (Kiali's default, 10).</summary>
    public double FailingAbovePercent { get; init; } = 10;
}

public enum AccessMode
{
    /// <summary>No policy selects a service: every authenticated caller may call it.</summary>
    Permissive,

    /// <summary>No ALLOW policy matches: the call is denied.</summary>
    DefaultDeny,
}

/// <summary>
/// Istio's pathNormalization options that cannot be bypassed. Both apply RFC 3986 normalisation
/// (percent-decoding once, dot segments resolved, '\' read as '/') and merge repeated slashes.
/// Istio's NONE and BASE are not offered: they let <c>//admin</c> past a DENY on <c>/admin</c>.
/// </summary>
public enum PathNormalization
{
    /// <summary>Istio's MERGE_SLASHES, except that an encoded slash (%2F, %5C) is refused with 400 (Envoy's REJECT_REQUEST) instead of passed on unchanged.</summary>
    MergeSlashes,

    /// <summary>Istio's DECODE_AND_MERGE_SLASHES: %2F and %5C are decoded to '/' first, then normalised like the rest.</summary>
    DecodeAndMergeSlashes,
}
