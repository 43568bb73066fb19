namespace Meshwork.ControlPlane.Streams;

/// <summary>What a proxy stream authenticated with.</summary>
public enum ProxyCredential
{
    /// <summary>A bootstrap token (the first join, or a proxy without a usable certificate): closed when the token expires or is revoked.</summary>
    BootstrapToken,

    /// <summary>The proxy's workload certificate as TLS client certificate: its SPIFFE id fixes the identity; closed when the token it joined with is revoked.</summary>
    WorkloadCertificate,
}

/// <summary>The outcome of authenticating a Hello: the token behind the stream either way, or why it was refused.</summary>
public sealed record ProxyAuthentication(bool Accepted, ProxyCredential Credential, Guid TokenId, string? TokenName, DateTimeOffset? TokenExpiresAt,
    string? Reason)
{
    public static ProxyAuthentication Refused(string reason) => new(false, default, Guid.Empty, null, null, reason);
}
