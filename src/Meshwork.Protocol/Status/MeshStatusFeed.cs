using Grpc.Core;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Protocol.Status;

/// <summary>
/// The portal's side of the control plane status stream, folded into current state: the fleet by
/// proxy id, the latest golden signals, recent events. Follows "initial full state then changes",
/// reconnects with jittered backoff when the control plane goes away (keeping the last state,
/// marked <see cref="Connected"/> = false), and raises <see cref="Changed"/> after each update.
/// Thread-safe; reads return snapshots.
/// </summary>
public sealed class MeshStatusFeed : IAsyncDisposable
{
    private const int EventCapacity = 200;
    private readonly string address;
    private readonly ILogger logger;
    private readonly int minIntervalMs;
    private readonly Lock gate = new();
    private readonly Dictionary<string, ProxyStatus> proxies = [];
    private readonly LinkedList<MeshEvent> events = new();
    private readonly CancellationTokenSource stop = new();
    private IReadOnlyList<EdgeSignals> edges = [];
    private IReadOnlyList<ServiceVersionSignals> serviceVersions = [];
    private readonly string? statusToken;
    private readonly string? trustBundleFile;
    private Task? loop;

    /// <param name="trustBundleFile">The mesh root (PEM) an https:// control plane is verified against.</param>
    public MeshStatusFeed(string address, string? statusToken, string? trustBundleFile, ILogger<MeshStatusFeed>? logger = null, int minIntervalMs = 500)
    {
        this.address = address;
        this.statusToken = statusToken;
        this.trustBundleFile = trustBundleFile;
        this.logger = logger ?? NullLogger<MeshStatusFeed>.Instance;
        this.minIntervalMs = minIntervalMs;
    }

    /// <summary>Raised after every applied update (on the feed's thread: hand off, don't block).</summary>
    public event Action? Changed;

    public bool Connected { get; private set; }
    public long ConfigVersion { get; private set; }
    public DateTimeOffset? LastUpdate { get; private set; }

    public IReadOnlyList<ProxyStatus> Proxies
    {
        get { lock (gate) return proxies.Values.OrderBy(p => p.Namespace).ThenBy(p => p.Service).ThenBy(p => p.ProxyId).ToList(); }
    }

    public ProxyStatus? Proxy(string proxyId)
    {
        lock (gate) return proxies.GetValueOrDefault(proxyId);
    }

    public IReadOnlyList<EdgeSignals> Edges
    {
        get { lock (gate) return edges; }
    }

    public IReadOnlyList<ServiceVersionSignals> ServiceVersions
    {
        get { lock (gate) return serviceVersions; }
    }

    /// <summary>Recent events, newest last.</summary>
    public IReadOnlyList<MeshEvent> Events
    {
        get { lock (gate) return events.ToList(); }
    }

    public void Start()
    {
        lock (gate) loop ??= Task.Run(() => RunAsync(stop.Token));
    }

    private async Task RunAsync(CancellationToken ct)
    {
        using var channel = ControlPlaneTls.Channel(address, trustBundleFile, logger);
        var client = new MeshStatus.MeshStatusClient(channel);
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var call = client.Watch(new WatchRequest { MinIntervalMs = minIntervalMs }, StatusStreamAuthentication.Headers(statusToken), cancellationToken: ct);
                await foreach (var update in call.ResponseStream.ReadAllAsync(ct))
                {
                    Apply(update);
                    failures = 0;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException)
            {
                logger.LogDebug("Status stream from {Address} lost: {Message}", address, ex.Message);
            }
            if (Connected)
            {
                Connected = false;
                Changed?.Invoke();
            }
            var step = Math.Min(10_000, 250 * Math.Pow(2, Math.Min(failures++, 6)));
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(step * (0.5 + 0.5 * Random.Shared.NextDouble())), ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void Apply(StatusUpdate update)
    {
        lock (gate)
        {
            if (update.FullState) proxies.Clear();
            foreach (var proxy in update.Proxies) proxies[proxy.ProxyId] = proxy;
            foreach (var removed in update.RemovedProxyIds) proxies.Remove(removed);
            foreach (var meshEvent in update.Events)
            {
                events.AddLast(meshEvent);
                if (events.Count > EventCapacity) events.RemoveFirst();
            }
            // Signals come as the complete current set, about once a second.
            if (update.HasSignals)
            {
                edges = update.Edges.ToList();
                serviceVersions = update.ServiceVersions.ToList();
            }
            ConfigVersion = update.ConfigVersion;
            LastUpdate = DateTimeOffset.FromUnixTimeMilliseconds(update.AtUnixMs);
            Connected = true;
        }
        Changed?.Invoke();
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (loop is not null) await loop;
        stop.Dispose();
    }
}
