using Meshwork.Protocol.Status;

namespace Meshwork.ControlPlane.Status;

/// <summary>
/// The live fleet as the portal sees it: one <see cref="ProxyStatus"/> per known proxy plus a
/// ring of recent events. Every change bumps a revision so each status watcher can ask for
/// "what changed since revision R" without a queue of its own.
/// </summary>
public sealed class FleetState(TimeProvider time, ILogger<FleetState> logger)
{
    private const int EventCapacity = 500;

    private readonly Lock gate = new();
    private readonly Dictionary<string, (ProxyStatus Status, long Revision)> proxies = [];
    private readonly List<(long Revision, string ProxyId)> removals = [];
    private readonly Queue<(long Revision, MeshEvent Event)> events = new();
    private long revision;
    private TaskCompletionSource changed = NewSignal();

    public long Revision
    {
        get { lock (gate) return revision; }
    }

    /// <summary>Completes at the next change; take it before reading so no change is missed.</summary>
    public Task NextChange
    {
        get { lock (gate) return changed.Task; }
    }

    public void Upsert(string proxyId, Action<ProxyStatus> update)
    {
        lock (gate)
        {
            var status = proxies.TryGetValue(proxyId, out var entry) ? entry.Status : new ProxyStatus { ProxyId = proxyId };
            update(status);
            proxies[proxyId] = (status, ++revision);
        }
        Signal();
    }

    public ProxyStatus? Get(string proxyId)
    {
        lock (gate) return proxies.TryGetValue(proxyId, out var entry) ? entry.Status.Clone() : null;
    }

    public void Remove(string proxyId)
    {
        lock (gate)
        {
            if (!proxies.Remove(proxyId)) return;
            removals.Add((++revision, proxyId));
            if (removals.Count > 10_000) removals.RemoveRange(0, removals.Count - 10_000);
        }
        Signal();
    }

    public void Event(string kind, string severity, string? proxyId, string? service, string? ns, string message)
    {
        var meshEvent = new MeshEvent
        {
            AtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            Kind = kind,
            Severity = severity,
            ProxyId = proxyId ?? "",
            Service = service ?? "",
            Namespace = ns ?? "",
            Message = message,
        };
        var level = severity switch { "Error" => LogLevel.Error, "Warning" => LogLevel.Warning, _ => LogLevel.Information };
        logger.Log(level, "{Kind} {ProxyId}: {Message}", kind, proxyId, message);
        lock (gate)
        {
            events.Enqueue((++revision, meshEvent));
            while (events.Count > EventCapacity) events.Dequeue();
        }
        Signal();
    }

    /// <summary>Everything (full) or what changed after <paramref name="sinceRevision"/>.</summary>
    public FleetChanges ChangesSince(long? sinceRevision)
    {
        lock (gate)
        {
            var since = sinceRevision ?? long.MinValue;
            return new FleetChanges(
                revision,
                proxies.Values.Where(entry => entry.Revision > since).Select(entry => entry.Status.Clone()).ToList(),
                sinceRevision is null ? [] : removals.Where(entry => entry.Revision > since).Select(entry => entry.ProxyId).ToList(),
                events.Where(entry => entry.Revision > since).Select(entry => entry.Event).ToList());
        }
    }

    public IReadOnlyList<ProxyStatus> All()
    {
        lock (gate) return proxies.Values.Select(entry => entry.Status.Clone()).ToList();
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (gate)
        {
            previous = changed;
            changed = NewSignal();
        }
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public sealed record FleetChanges(
    long Revision,
    IReadOnlyList<ProxyStatus> Proxies,
    IReadOnlyList<string> RemovedProxyIds,
    IReadOnlyList<MeshEvent> Events);
