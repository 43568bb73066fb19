using Grpc.Core;
using Meshwork.ControlPlane.Compilation;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Registry;
using Meshwork.ControlPlane.Stats;
using Meshwork.Protocol.Status;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Status;

/// <summary>
/// The portal's live feed: the whole state first, then every change since the previous update,
/// at most every min_interval_ms, and fresh golden signals every second.
/// </summary>
public sealed class MeshStatusService(FleetState fleet, StatsAggregator stats, ServiceRegistry registry, SnapshotPublisher publisher, TimeProvider time,
    IOptions<ControlPlaneOptions> options)
    : MeshStatus.MeshStatusBase
{
    private static readonly TimeSpan SignalsInterval = TimeSpan.FromSeconds(1);

    public override async Task Watch(WatchRequest request, IServerStreamWriter<StatusUpdate> responseStream, ServerCallContext context)
    {
        if (!StatusStreamAuthentication.IsAuthorized(context.RequestHeaders, options.Value.StatusToken))
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unauthenticated, string.IsNullOrEmpty(options.Value.StatusToken)
                ? "the status stream is disabled: set ControlPlane:StatusToken on the control plane and Portal:ControlPlane:StatusToken on the portal"
                : "a valid status token (Bearer) is required"));
        }
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
