namespace Meshwork.Protocol.Status;

/// <summary>
/// One control plane replica's status stream folded into its current state ("initial full state,
/// then changes"): only the proxies connected to that replica and the signals they reported. The one
/// fold of the stream: the portal's live data keeps one per replica, tests and benchmarks one per
/// stream they watch. Thread-safe: the stream writes while pages, hubs and tests read.
/// </summary>
public sealed class StatusFold(string address)
{
    public const int MaxEvents = 200;

    private readonly Lock gate = new();
    private readonly Dictionary<string, ProxyStatus> proxies = new(StringComparer.Ordinal);
    private readonly LinkedList<MeshEvent> events = new();
    private IReadOnlyList<EdgeSignals> edges = [];
    private IReadOnlyList<TcpEdgeSignals> tcpEdges = [];
    private IReadOnlyList<ServiceVersionSignals> serviceVersions = [];

    public string Address { get; } = address;
    public bool Connected { get; private set; }
    public string? LastError { get; private set; }
    public DateTimeOffset? UpdatedAt { get; private set; }
    public long ConfigVersion { get; private set; }

    public IReadOnlyList<ProxyStatus> Proxies
    {
        get { lock (gate) return proxies.Values.ToList(); }
    }

    public ProxyStatus? Proxy(string proxyId)
    {
        lock (gate) return proxies.GetValueOrDefault(proxyId);
    }

    /// <summary>The replica's complete current set of call edges (replaced whole by every update that carries signals).</summary>
    public IReadOnlyList<EdgeSignals> Edges
    {
        get { lock (gate) return edges; }
    }

    /// <summary>The replica's complete current set of TCP route edges (replaced with <see cref="Edges"/>).</summary>
    public IReadOnlyList<TcpEdgeSignals> TcpEdges
    {
        get { lock (gate) return tcpEdges; }
    }

    public IReadOnlyList<ServiceVersionSignals> ServiceVersions
    {
        get { lock (gate) return serviceVersions; }
    }

    /// <summary>Newest first, at most <see cref="MaxEvents"/>.</summary>
    public IReadOnlyList<MeshEvent> Events
    {
        get { lock (gate) return events.ToList(); }
    }

    public void Apply(StatusUpdate update)
    {
        lock (gate)
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
                if (events.Count > MaxEvents)
                    events.RemoveLast();
            }
            // Signals come as this replica's complete current set, even when empty (traffic stopped:
            // the rates go to zero, then the edge goes); updates that carry only fleet changes keep the
            // last set. The full state carries everything.
            if (update.HasSignals || update.FullState)
            {
                edges = update.Edges.ToList();
                tcpEdges = update.TcpEdges.ToList();
                serviceVersions = update.ServiceVersions.ToList();
            }
            Connected = true;
            LastError = null;
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(update.AtUnixMs);
            ConfigVersion = update.ConfigVersion;
        }
    }

    /// <summary>The stream broke: the last state stays, marked stale, with the reason.</summary>
    public void Disconnected(string reason)
    {
        lock (gate)
        {
            Connected = false;
            LastError = reason;
        }
    }
}
