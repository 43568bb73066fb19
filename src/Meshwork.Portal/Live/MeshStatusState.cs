using Meshwork.Protocol.Status;

namespace Meshwork.Portal.Live;

public enum LiveConnection
{
    /// <summary>Portal:ControlPlane:Address is not set.</summary>
    NotConfigured,
    Connecting,
    Connected,
}

/// <summary>One immutable view of the control plane's live state, as pages render it.</summary>
public sealed record MeshStatusSnapshot(
    LiveConnection Connection,
    string? Address,
    string? LastError,
    DateTimeOffset? UpdatedAt,
    long ConfigVersion,
    IReadOnlyList<ProxyStatus> Proxies,
    IReadOnlyList<EdgeSignals> Edges,
    IReadOnlyList<ServiceVersionSignals> ServiceVersions,
    IReadOnlyList<MeshEvent> Events)
{
    public static MeshStatusSnapshot Initial(string? address) =>
        new(string.IsNullOrWhiteSpace(address) ? LiveConnection.NotConfigured : LiveConnection.Connecting, address, null, null, 0, [], [], [], []);
}

/// <summary>
/// The control plane's status stream folded into current state ("initial full state, then
/// changes"): one per portal process, shared by every circuit. Pages read <see cref="Current"/> and
/// re-render on <see cref="Changed"/>.
/// </summary>
public sealed class MeshStatusState
{
    public const int MaxEvents = 200;

    private readonly Lock gate = new();
    private readonly Dictionary<string, ProxyStatus> proxies = new(StringComparer.Ordinal);
    private readonly LinkedList<MeshEvent> events = new();
    private MeshStatusSnapshot current;

    public MeshStatusState(string? address) => current = MeshStatusSnapshot.Initial(address);

    public MeshStatusSnapshot Current
    {
        get
        {
            lock (gate)
                return current;
        }
    }

    /// <summary>Raised after every change, outside the lock; handlers must be quick (pages marshal to their renderer).</summary>
    public event Action? Changed;

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
            // Signals come as the whole current set; updates that carry only fleet changes keep the last set.
            var signals = update.FullState || update.Edges.Count > 0 || update.ServiceVersions.Count > 0;
            current = current with
            {
                Connection = LiveConnection.Connected,
                LastError = null,
                UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(update.AtUnixMs),
                ConfigVersion = update.ConfigVersion,
                Proxies = proxies.Values.OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Service, StringComparer.Ordinal)
                    .ThenBy(p => p.ProxyId, StringComparer.Ordinal).ToList(),
                Edges = signals ? update.Edges.ToList() : current.Edges,
                ServiceVersions = signals ? update.ServiceVersions.ToList() : current.ServiceVersions,
                Events = events.ToList(),
            };
        }
        Changed?.Invoke();
    }

    /// <summary>The stream broke: keep the last state on screen, marked as stale, with the reason.</summary>
    public void Disconnected(string reason)
    {
        lock (gate)
            current = current with { Connection = LiveConnection.Connecting, LastError = reason };
        Changed?.Invoke();
    }
}
