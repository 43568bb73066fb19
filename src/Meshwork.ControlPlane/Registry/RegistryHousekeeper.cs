using Meshwork.ControlPlane.Certificates;
using Meshwork.ControlPlane.Compilation;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Leadership;
using Meshwork.ControlPlane.Status;
using Meshwork.ControlPlane.Streams;
using Meshwork.Store.Registry;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Registry;

/// <summary>
/// Once a second: forgets streams lost here past their grace period, schedules a recompile for
/// proxies connected here whose certificate reached its renewal point (the compile issues the new
/// one), and, on the leader only, removes instances whose lease ran out and certificates nobody
/// holds any more. The leader lets no lease run out during its first
/// <see cref="ControlPlaneOptions.RegistryRecoveryPeriod"/>: leases not renewed while no leader
/// was there say nothing about their proxies.
/// </summary>
public sealed class RegistryHousekeeper(
    ServiceRegistry registry,
    InstanceLeaseStore instanceLeases,
    WorkloadCertificateStore certificateStore,
    WorkloadCertificates certificates,
    ConnectionTable connections,
    SnapshotPublisher publisher,
    LeaderElection leader,
    FleetState fleet,
    IOptions<ControlPlaneOptions> options,
    TimeProvider time,
    ILogger<RegistryHousekeeper> logger) : BackgroundService
{
    private static readonly TimeSpan CertificateCleanupInterval = TimeSpan.FromMinutes(1);
    private DateTimeOffset nextCertificateCleanup = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CertificateCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var lost in registry.ForgetLost())
            {
                certificates.Forget(lost.Instance.ProxyId);
                fleet.Remove(lost.Instance.ProxyId);
            }
            foreach (var proxyId in certificates.DueForRenewal())
            {
                if (connections.Get(proxyId) is null) continue;
                fleet.Event("CertificateRenewing", "Info", proxyId, null, null, "certificate reached 2/3 of its life; issuing a new one");
                publisher.ProxyChanged(proxyId);
            }
            if (leader.LeaderFor >= options.Value.RegistryRecoveryPeriod)
                await LeaderWorkAsync(stoppingToken);
        }
    }

    private async Task LeaderWorkAsync(CancellationToken ct)
    {
        try
        {
            var expired = await instanceLeases.ExpireAsync(leader.ReplicaId, ct);
            registry.RemoveShared(expired.Select(row => (row.ProxyId, row.ConnectionId)).ToList());
            foreach (var row in expired)
                fleet.Event("InstanceRemoved", "Info", row.ProxyId, row.Service, row.Namespace,
                    $"removed: its lease ran out ({options.Value.InstanceGracePeriod.TotalSeconds:0.#} s without its proxy)");
            if (time.GetUtcNow() >= nextCertificateCleanup)
            {
                nextCertificateCleanup = time.GetUtcNow() + CertificateCleanupInterval;
                await certificateStore.DeleteOrphansAsync(CertificateCleanupInterval, ct);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // PostgreSQL away: nothing expires meanwhile, which is the safe side.
            logger.LogDebug("Leader housekeeping skipped: {Message}", ex.Message);
        }
    }
}
