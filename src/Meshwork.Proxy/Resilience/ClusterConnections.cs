namespace Meshwork.Proxy.Resilience;

/// <summary>
/// Envoy's max_connections for a whole cluster (SocketsHttpHandler's MaxConnectionsPerServer
/// only limits each endpoint). Counts the cluster's open upstream connections, idle ones included
/// as in Envoy. At the limit a new connection waits until one closes, while the request that wanted
/// it stays queued in the pool and is served by the endpoint's existing connections as they free
/// up (Envoy's pending requests); the wait ends at the connect timeout. As in Envoy, an endpoint
/// with no open connection may always open one, otherwise its requests could never be served.
/// One instance per connection pool (client): a pool replaced by new pool settings starts from zero,
/// as a cluster Envoy rebuilds gets a new resource manager, and the old pool's connections, open
/// until they idle out, cannot hold slots of the new one.
/// </summary>
public sealed class ClusterConnections(ClusterCounters counters)
{
    private readonly Lock sync = new();
    private readonly Dictionary<string, int> byEndpoint = new(StringComparer.OrdinalIgnoreCase);
    private TaskCompletionSource? closed;
    private int open;

    /// <summary>Takes a connection slot for the endpoint, waiting while the cluster is at its limit.</summary>
    public async ValueTask AcquireAsync(string endpoint, int limit, CancellationToken cancellationToken)
    {
        var waited = false;
        while (true)
        {
            Task next;
            lock (sync)
            {
                var endpointOpen = byEndpoint.GetValueOrDefault(endpoint);
                if (open < limit || endpointOpen == 0)
                {
                    open++;
                    byEndpoint[endpoint] = endpointOpen + 1;
                    return;
                }
                closed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                next = closed.Task;
            }
            if (!waited)
                counters.CountConnectionOverflow();
            waited = true;
            await next.WaitAsync(cancellationToken);
        }
    }

    public void Release(string endpoint)
    {
        TaskCompletionSource? wake;
        lock (sync)
        {
            open--;
            var endpointOpen = byEndpoint.GetValueOrDefault(endpoint) - 1;
            if (endpointOpen > 0)
                byEndpoint[endpoint] = endpointOpen;
            else
                byEndpoint.Remove(endpoint);
            wake = closed;
            closed = null;
        }
        // Every waiter re-checks; the few connection attempts waiting at once make this cheap.
        wake?.TrySetResult();
    }
}
