using System.Collections.Concurrent;

namespace Meshwork.ControlPlane.Streams;

/// <summary>Live streams by proxy id; a proxy that reconnects replaces (and closes) its older stream.</summary>
public sealed class ConnectionTable
{
    private readonly ConcurrentDictionary<string, ProxyConnection> connections = new();

    public int Count => connections.Count;

    public void Add(ProxyConnection connection)
    {
        ProxyConnection? previous = null;
        connections.AddOrUpdate(connection.ProxyId, connection, (_, old) =>
        {
            previous = old;
            return connection;
        });
        previous?.Close();
    }

    /// <summary>Removes the connection unless a newer one of the same proxy replaced it; true when it was current.</summary>
    public bool Remove(ProxyConnection connection) =>
        connections.TryRemove(new KeyValuePair<string, ProxyConnection>(connection.ProxyId, connection));

    public ProxyConnection? Get(string proxyId) => connections.GetValueOrDefault(proxyId);

    public IReadOnlyCollection<ProxyConnection> All() => connections.Values.ToList();
}
