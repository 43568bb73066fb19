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
}

public enum AccessMode
{
    /// <summary>No policy selects a service: every authenticated caller may call it.</summary>
    Permissive,

    /// <summary>No ALLOW policy matches: the call is denied.</summary>
    DefaultDeny,
}
