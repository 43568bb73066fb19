using Meshwork.Protocol.Status;

namespace Meshwork.Portal.Live;

/// <summary>
/// One control plane replica's status stream folded into its current state ("initial full state,
/// then changes"): only the proxies connected to that replica and the signals they reported.
/// Not thread-safe: <see cref="MeshStatusState"/> guards it.
/// </summary>
internal sealed class ReplicaStatus(string address)
{
    private readonly Dictionary<string, ProxyStatus> proxies = new(StringComparer.Ordinal);
    private readonly LinkedList<MeshEvent> events = new();

    public string Address { get; } = address;
    public bool Connected { get; private set; }
    public string? LastError { get; private set; }
    public DateTimeOffset? UpdatedAt { get; private set; }
    public long ConfigVersion { get; private set; }
    public IEnumerable<ProxyStatus> Proxies => proxies.Values;
    public IReadOnlyList<EdgeSignals> Edges { get; private set; } = [];
    public IReadOnlyList<ServiceVersionSignals> ServiceVersions { get; private set; } = [];

    /// <summary>Newest first, at most <see cref="MeshStatusState.MaxEvents"/>.</summary>
    public IEnumerable<MeshEvent> Events => events;

    public void Apply(StatusUpdate update)
    {
        if (update.FullState)
        {
            proxies.Clear();
            events.Clear();
        }
        foreach (var proxy in update.Proxies)
            proxies[proxy.ProxyId] = proxy;
        foreach (var removed in update.RemovedProxyIds)
            proxies.Remove(removed);
        foreach (var e in update.Events)
        {
            events.AddFirst(e);
            if (events.Count > MeshStatusState.MaxEvents)
                events.RemoveLast();
        }
        // Signals come as this replica's complete current set, even when empty; updates that carry
        // only fleet changes keep the last set. The full state carries everything.
        if (update.HasSignals || update.FullState)
        {
            Edges = update.Edges.ToList();
            ServiceVersions = update.ServiceVersions.ToList();
        }
        Connected = true;
        LastError = null;
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(update.AtUnixMs);
        ConfigVersion = update.ConfigVersion;
    }

    /// <summary>The stream broke: the last state stays, marked stale, with the reason.</summary>
    public void Disconnected(string reason)
    {
        Connected = false;
        LastError = reason;
    }
}
