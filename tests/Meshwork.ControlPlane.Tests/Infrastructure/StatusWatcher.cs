using Grpc.Core;
using Grpc.Net.Client;
using Meshwork.Protocol.Status;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>Follows the control plane's status stream and keeps the merged fleet view, as the portal does.</summary>
public sealed class StatusWatcher : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, ProxyStatus> proxies = [];
    private readonly List<MeshEvent> events = [];
    private readonly List<StatusUpdate> updates = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public StatusWatcher(GrpcChannel channel)
    {
        var call = new MeshStatus.MeshStatusClient(channel).Watch(new WatchRequest { MinIntervalMs = 250 }, cancellationToken: stop.Token);
        loop = Task.Run(async () =>
        {
            try
            {
                await foreach (var update in call.ResponseStream.ReadAllAsync(stop.Token))
                    lock (gate)
                    {
                        updates.Add(update);
                        if (update.FullState) proxies.Clear();
                        foreach (var proxy in update.Proxies) proxies[proxy.ProxyId] = proxy;
                        foreach (var removed in update.RemovedProxyIds) proxies.Remove(removed);
                        events.AddRange(update.Events);
                    }
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException)
            {
            }
        });
    }

    public ProxyStatus? Proxy(string id)
    {
        lock (gate) return proxies.GetValueOrDefault(id);
    }

    public IReadOnlyList<MeshEvent> Events
    {
        get { lock (gate) return events.ToList(); }
    }

    public StatusUpdate? LatestWithSignals
    {
        get { lock (gate) return updates.LastOrDefault(u => u.Edges.Count > 0 || u.ServiceVersions.Count > 0); }
    }

    public async Task WaitUntilAsync(Func<StatusWatcher, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition(this)) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"status never showed: {what}");
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }
}
