using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Meshwork.ControlPlane.Registry;
using Meshwork.ControlPlane.Status;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>
/// The EndpointSlices of one namespace (or of all, <paramref name="kubernetesNamespace"/> null) kept in
/// the registry with the Kubernetes list-and-watch protocol: list (which replaces this watch's
/// instances), then watch from the list's resourceVersion, following bookmarks; a watch the server
/// ends is resumed from the last version seen, a 410 Gone (that version is too old) re-lists, and so
/// does every <see cref="EndpointSliceDiscoveryOptions.ResyncInterval"/>. A failed list or watch
/// (API server away, connection dropped) is retried with backoff; meanwhile the instances stay as last
/// seen: an unreachable API server says nothing about the pods (static stability).
/// </summary>
public sealed class EndpointSliceWatch
{
    private readonly string? kubernetesNamespace;
    private readonly string owner;
    private readonly ServiceRegistry registry;
    private readonly IKubernetes client;
    private readonly EndpointSliceDiscoveryOptions options;
    private readonly FleetState fleet;
    private readonly ILogger logger;
    private readonly EndpointSliceMapper mapper;
    // Pods read for their version: cleared at each re-list, so a relabelled pod is read again by then.
    private readonly Dictionary<string, V1Pod> pods = [];
    // The reason each refused slice was last refused for: logged once per new reason, not on every re-list.
    private readonly Dictionary<string, string> refusals = [];

    public EndpointSliceWatch(string? kubernetesNamespace, ServiceRegistry registry, IKubernetes client, EndpointSliceDiscoveryOptions options, FleetState fleet, ILogger logger)
    {
        this.kubernetesNamespace = kubernetesNamespace;
        owner = "kubernetes:" + (kubernetesNamespace ?? "*");
        this.registry = registry;
        this.client = client;
        this.options = options;
        this.fleet = fleet;
        this.logger = logger;
        mapper = new EndpointSliceMapper(ReadPodAsync);
    }

    private string Scope => kubernetesNamespace is null ? "all namespaces" : $"namespace {kubernetesNamespace}";

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var delay = options.ReconnectDelay;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var resourceVersion = await RelistAsync(stoppingToken);
                if (failing) logger.LogInformation("EndpointSlices of {Scope} listed again", Scope);
                failing = false;
                using var resync = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                resync.CancelAfter(options.ResyncInterval);
                try
                {
                    while (true)
                    {
                        var started = Stopwatch.StartNew();
                        var (gone, lastVersion) = await WatchAsync(resourceVersion, resync.Token);
                        resourceVersion = lastVersion;
                        if (gone) break;
                        // The server ended the watch: resume from the last version seen, but never in a tight loop.
                        if (started.Elapsed < options.ReconnectDelay) await Task.Delay(options.ReconnectDelay, resync.Token);
                    }
                }
                catch (OperationCanceledException) when (resync.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                {
                    // Time for the periodic re-list.
                }
                delay = options.ReconnectDelay;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (!failing) logger.LogWarning("EndpointSlice watch of {Scope} failed ({Message}); keeping its instances, retrying with backoff from {Delay} s", Scope, ex.Message, delay.TotalSeconds);
                failing = true;
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxReconnectDelay.Ticks));
            }
        }
    }

    private async Task<string?> RelistAsync(CancellationToken ct)
    {
        var selector = NullIfEmpty(options.LabelSelector);
        var list = kubernetesNamespace is null
            ? await client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(labelSelector: selector, cancellationToken: ct)
            : await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(kubernetesNamespace, labelSelector: selector, cancellationToken: ct);
        pods.Clear();
        var slices = new Dictionary<string, IReadOnlyList<Instance>>();
        foreach (var slice in list.Items ?? [])
        {
            var key = KeyOf(slice);
            if ((await MapAsync(slice, key, ct) ?? registry.DiscoveredSlice(owner, key)) is { } instances) slices[key] = instances;
        }
        foreach (var gone in refusals.Keys.Except(slices.Keys).ToList()) refusals.Remove(gone);
        registry.ReplaceDiscovered(owner, slices);
        return list.Metadata?.ResourceVersion;
    }

    /// <summary>Applies events until the watch ends; true when it ended with 410 Gone (re-list), with the last version seen.</summary>
    private async Task<(bool Gone, string? ResourceVersion)> WatchAsync(string? resourceVersion, CancellationToken ct)
    {
        var gone = false;
        var selector = NullIfEmpty(options.LabelSelector);
        // The server ends the watch itself at the next re-list at the latest.
        var timeoutSeconds = (int)Math.Max(1, options.ResyncInterval.TotalSeconds);
        void OnError(Exception error)
        {
            if (error is KubernetesException { Status.Code: (int)HttpStatusCode.Gone }) gone = true;
            else logger.LogWarning("EndpointSlice watch of {Scope}: event skipped ({Message})", Scope, error.Message);
        }
        var events = kubernetesNamespace is null
            ? client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(allowWatchBookmarks: true, labelSelector: selector, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, onError: OnError, cancellationToken: ct)
            : client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync(kubernetesNamespace, allowWatchBookmarks: true, labelSelector: selector,
                resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: OnError, cancellationToken: ct);
        await foreach (var (type, slice) in events.WithCancellation(ct))
        {
            resourceVersion = slice?.Metadata?.ResourceVersion ?? resourceVersion;
            if (slice is null || type is WatchEventType.Bookmark) continue;
            var key = KeyOf(slice);
            if (type is WatchEventType.Deleted)
            {
                refusals.Remove(key);
                registry.SetDiscoveredSlice(owner, key, null);
            }
            else if (await MapAsync(slice, key, ct) is { } instances)
            {
                registry.SetDiscoveredSlice(owner, key, instances);
            }
        }
        return (gone, resourceVersion);
    }

    /// <summary>The slice's instances, or null when it is refused (logged, and its last accepted instances stay).</summary>
    private async Task<IReadOnlyList<Instance>?> MapAsync(V1EndpointSlice slice, string key, CancellationToken ct)
    {
        var mapping = await mapper.MapAsync(slice, ct);
        if (mapping.Problem is not { } problem)
        {
            refusals.Remove(key);
            return mapping.Instances;
        }
        if (refusals.GetValueOrDefault(key) != problem)
        {
            refusals[key] = problem;
            // The event is logged as a warning too.
            var service = EndpointSliceMapper.ValueOf(slice.Metadata?.Labels, EndpointSliceMapper.ServiceNameLabel);
            fleet.Event("EndpointSliceRefused", "Warning", null, service, slice.Metadata?.NamespaceProperty, $"EndpointSlice {key} refused: {problem}; its endpoints stay as last accepted");
        }
        return null;
    }

    private async Task<V1Pod?> ReadPodAsync(string podNamespace, string name, string? uid, CancellationToken ct)
    {
        var key = $"{podNamespace}/{name}";
        if (pods.TryGetValue(key, out var cached) && (uid is null || cached.Metadata?.Uid == uid)) return cached;
        try
        {
            var pod = await client.CoreV1.ReadNamespacedPodAsync(name, podNamespace, cancellationToken: ct);
            pods[key] = pod;
            return pod;
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    // Names from the network go into keys and log lines only after the mapper checked them; a slice
    // too broken to name is still keyed, so its events pair up.
    private static string KeyOf(V1EndpointSlice slice) => $"{slice.Metadata?.NamespaceProperty}/{slice.Metadata?.Name}";

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
