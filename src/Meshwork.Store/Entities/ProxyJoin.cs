namespace Meshwork.Store.Entities;

/// <summary>
/// Which bootstrap token admitted a proxy key (table <c>proxy_joins</c>). After its first join a
/// proxy reconnects with its workload certificate; the control plane finds the token behind that
/// certificate's key here, so revoking the token also locks out the proxies that joined with it.
/// Keyed by the hex SHA-256 of the key's SubjectPublicKeyInfo; a key that joins again with another
/// token is recorded under the newest one.
/// </summary>
internal sealed class ProxyJoin
{
    public required string KeyHash { get; set; }
    public Guid TokenId { get; set; }
    public required string Namespace { get; set; }
    public required string Service { get; set; }
    public required string ProxyId { get; set; }
    public DateTimeOffset JoinedAt { get; set; }
}
