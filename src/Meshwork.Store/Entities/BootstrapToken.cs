namespace Meshwork.Store.Entities;

/// <summary>
/// A one-time credential a proxy presents to the control plane to get its first certificate
/// (table <c>bootstrap_tokens</c>). Only a hash of the secret is stored.
/// </summary>
public sealed class BootstrapToken
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string SecretHash { get; set; }
    public required string Service { get; set; }
    public required string Namespace { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public required string CreatedBy { get; set; }
}
