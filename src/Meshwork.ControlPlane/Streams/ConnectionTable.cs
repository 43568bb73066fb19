using System.Collections.Concurrent;

namespace Meshwork.ControlPlane.Streams;

/// <summary>
/// Live streams by proxy id. The same proxy reconnecting (same namespace, service and key) replaces
/// and closes its older stream; another proxy cannot take over an id that a live stream holds.
/// </summary>
public sealed class ConnectionTable
{
    private readonly ConcurrentDictionary<string, ProxyConnection> connections = new();

    public int Count => connections.Count;

    /// <summary>Adds the connection; null when added, else why not (the id belongs to another live proxy).</summary>
    public string? TryAdd(ProxyConnection connection)
    {
        ProxyConnection? previous = null;
        string? refusal = null;
        connections.AddOrUpdate(connection.ProxyId, connection, (_, old) =>
        {
            refusal = SameProxy(old, connection) ? null
                : $"proxy id '{connection.ProxyId}' is held by a live stream of {old.Service.Namespace}/{old.Service.Name} with another key";
            previous = refusal is null ? old : null;
            return refusal is null ? connection : old;
        });
        previous?.Close();
        return refusal;
    }

    private static bool SameProxy(ProxyConnection old, ProxyConnection connection) =>
        old.Service == connection.Service &&
        old.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(connection.PublicKey.ExportSubjectPublicKeyInfo());

    /// <summary>Removes the connection unless a newer one of the same proxy replaced it; true when it was current.</summary>
    public bool Remove(ProxyConnection connection) =>
        connections.TryRemove(new KeyValuePair<string, ProxyConnection>(connection.ProxyId, connection));

    public ProxyConnection? Get(string proxyId) => connections.GetValueOrDefault(proxyId);

    public IReadOnlyCollection<ProxyConnection> All() => connections.Values.ToList();
}
