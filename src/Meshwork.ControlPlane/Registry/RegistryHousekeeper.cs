using Meshwork.ControlPlane.Certificates;
using Meshwork.ControlPlane.Compilation;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Status;
using Meshwork.ControlPlane.Streams;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Registry;

/// <summary>
/// Once a second: drops instances whose grace period ran out, and schedules a recompile for
/// proxies whose certificate reached its renewal point (the compile issues the new one).
/// </summary>
public sealed class RegistryHousekeeper(
    ServiceRegistry registry,
    WorkloadCertificates certificates,
    ConnectionTable connections,
    SnapshotPublisher publisher,
    FleetState fleet,
    IOptions<ControlPlaneOptions> options,
    TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CertificateCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var gone in registry.RemoveExpired())
            {
                certificates.Forget(gone.Instance.ProxyId);
                fleet.Remove(gone.Instance.ProxyId);
                fleet.Event("InstanceRemoved", "Info", gone.Instance.ProxyId, gone.Instance.Service, gone.Instance.Namespace,
                    $"removed after {options.Value.InstanceGracePeriod.TotalSeconds:0.#} s without its proxy");
            }
            foreach (var proxyId in certificates.DueForRenewal())
            {
                if (connections.Get(proxyId) is null) continue;
                fleet.Event("CertificateRenewing", "Info", proxyId, null, null, "certificate reached 2/3 of its life; issuing a new one");
                publisher.ProxyChanged(proxyId);
            }
        }
    }
}
