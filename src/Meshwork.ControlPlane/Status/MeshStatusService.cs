using Grpc.Core;
using Meshwork.ControlPlane.Compilation;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Registry;
using Meshwork.ControlPlane.Stats;
using Meshwork.ControlPlane.Tap;
using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using Meshwork.Protocol.Status;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Status;

/// <summary>
/// The portal's live feed: the whole state first, then every change since the previous update,
/// at most every min_interval_ms, and fresh golden signals every second. Also the live tap of a service.
/// </summary>
public sealed class MeshStatusService(FleetState fleet, StatsAggregator stats, TcpStatsAggregator tcpStats, ServiceRegistry registry, SnapshotPublisher publisher, TapHub taps,
    TimeProvider time, IOptions<ControlPlaneOptions> options)
    : MeshStatus.MeshStatusBase
{
    private static readonly TimeSpan SignalsInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TapBatchInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan TapKeepAlive = TimeSpan.FromSeconds(2);
    private const int MaxSamplesPerUpdate = 200;

    public override async Task Watch(WatchRequest request, IServerStreamWriter<StatusUpdate> responseStream, ServerCallContext context)
    {
        Authorize(context);
        var ct = context.CancellationToken;
        var minInterval = TimeSpan.FromMilliseconds(Math.Max(250, request.MinIntervalMs));
        var changed = fleet.NextChange;
        var changes = fleet.ChangesSince(null);
        await responseStream.WriteAsync(Build(changes, full: true), ct);
        var lastSignals = time.GetUtcNow();

        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.WhenAll(Task.Delay(minInterval, time, ct), Task.WhenAny(changed, Task.Delay(SignalsInterval, time, ct)));
            }
            catch (OperationCanceledException)
            {
                return;
            }
            changed = fleet.NextChange;
            var next = fleet.ChangesSince(changes.Revision);
            changes = next;
            var now = time.GetUtcNow();
            var includeSignals = now - lastSignals >= SignalsInterval;
            if (!includeSignals && next.Proxies.Count == 0 && next.RemovedProxyIds.Count == 0 && next.Events.Count == 0) continue;
            if (includeSignals) lastSignals = now;
            await responseStream.WriteAsync(Build(next, full: false, includeSignals), ct);
        }
    }

    /// <summary>
    /// Relays the tap of one service until the caller goes away; leaving stops the proxies' tap when no
    /// other watcher of the service remains. Updates are batched; a quiet tap still says how many
    /// proxies it covers every <see cref="TapKeepAlive"/>.
    /// </summary>
    public override async Task Tap(TapRequest request, IServerStreamWriter<TapUpdate> responseStream, ServerCallContext context)
    {
        Authorize(context);
        var ns = string.IsNullOrEmpty(request.Namespace) ? ResourceMetadata.DefaultNamespace : request.Namespace;
        if (!IdentityNames.IsDnsLabel(request.Service))
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"service '{request.Service}' is not a valid name: {IdentityNames.DnsLabelRule}"));
        if (!IdentityNames.IsDnsLabel(ns))
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"namespace '{ns}' is not a valid name: {IdentityNames.DnsLabelRule}"));
        var ct = context.CancellationToken;
        using var watcher = taps.Watch(new ServiceRef(request.Service, ns));
        // The first update at once: the caller learns how many proxies were asked before any sample comes.
        var lastSent = DateTimeOffset.MinValue;
        while (!ct.IsCancellationRequested)
        {
            var update = new TapUpdate();
            while (update.Samples.Count < MaxSamplesPerUpdate && watcher.Samples.TryRead(out var sample)) update.Samples.Add(sample);
            update.Dropped = watcher.TakeDropped();
            var now = time.GetUtcNow();
            if (update.Samples.Count > 0 || update.Dropped > 0 || now - lastSent >= TapKeepAlive)
            {
                update.Proxies = taps.Tapping(watcher.Service);
                await responseStream.WriteAsync(update, ct);
                lastSent = now;
            }
            try
            {
                await Task.Delay(TapBatchInterval, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Authorize(ServerCallContext context)
    {
        if (!StatusStreamAuthentication.IsAuthorized(context.RequestHeaders, options.Value.StatusToken))
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unauthenticated, string.IsNullOrEmpty(options.Value.StatusToken)
                ? "the status stream is disabled: set ControlPlane:StatusToken on the control plane and Portal:ControlPlane:StatusToken on the portal"
                : "a valid status token (Bearer) is required"));
        }
    }

    private StatusUpdate Build(FleetChanges changes, bool full, bool includeSignals = true)
    {
        var update = new StatusUpdate
        {
            FullState = full,
            AtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            ConfigVersion = publisher.Generation,
        };
        update.Proxies.AddRange(changes.Proxies);
        update.RemovedProxyIds.AddRange(changes.RemovedProxyIds);
        update.Events.AddRange(changes.Events);
        update.HasSignals = includeSignals;
        if (includeSignals)
        {
            update.Edges.AddRange(stats.Edges());
            update.TcpEdges.AddRange(tcpStats.Edges());
            var instances = registry.Instances();
            foreach (var signals in stats.ServiceVersions())
            {
                var matching = instances.Where(i => i.Service == signals.Service && i.Namespace == signals.Namespace && i.Version == signals.Version).ToList();
                signals.Instances = matching.Count;
                signals.HealthyInstances = matching.Count(i => i.Health == Model.Resources.InstanceHealth.Healthy);
                update.ServiceVersions.Add(signals);
            }
        }
        return update;
    }
}
