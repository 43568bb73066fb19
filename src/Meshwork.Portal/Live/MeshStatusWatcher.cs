using Meshwork.Portal.Hosting;
using Meshwork.Protocol.Status;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Live;

/// <summary>
/// Keeps one Watch stream open to every control plane replica (gRPC at each Portal:ControlPlane:Address
/// entry, TLS verified against Portal:ControlPlane:TrustBundleFile) and feeds <see cref="MeshLiveData"/>.
/// Each replica aggregates only the proxies connected to it, so the portal needs them all; each stream
/// reconnects on its own (<see cref="StatusStream"/>).
/// </summary>
public sealed class MeshStatusWatcher(MeshLiveData live, IOptions<PortalOptions> options, ILogger<MeshStatusWatcher> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var controlPlane = options.Value.ControlPlane;
        return Task.WhenAll(live.Replicas.Select(fold => StatusStream.WatchAsync(
            new StatusStreamOptions(fold.Address, controlPlane.StatusToken, controlPlane.TrustBundleFile, controlPlane.TrustDomain),
            fold, live.StatusChanged, logger, stoppingToken)));
    }
}
