using Meshwork.Proxy.Config;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.ControlPlane;

/// <summary>
/// A clean stop (SIGTERM, host shutdown) of a proxy connected to a control plane: say Goodbye, so
/// the control plane pushes callers a snapshot without this instance at once, then keep serving for
/// <see cref="ProxyOptions.DrainDelay"/> while they apply it, and only then let the host stop
/// Kestrel (which finishes the requests in flight). The host runs every StoppingAsync before any
/// hosted service's StopAsync, Kestrel's included, so the listeners, the snapshot stream and the
/// stats loop are all still up during the drain.
/// </summary>
public sealed class DrainOnStop(ControlPlaneSnapshotSource controlPlane, IOptions<ProxyOptions> options, ILogger<DrainOnStop> logger)
    : IHostedLifecycleService
{
    /// <summary>True once Goodbye was sent: /ready says not ready, so orchestrators stop sending too.</summary>
    public bool Draining => draining;

    // Set on the host's stopping thread, read by /ready requests on others.
    private volatile bool draining;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (!await controlPlane.LeaveAsync("stopping", cancellationToken))
        {
            logger.LogInformation("Stopping without a drain: no live control plane stream to say Goodbye on");
            return;
        }
        draining = true;
        var delay = options.Value.DrainDelay;
        logger.LogInformation("Said Goodbye to the control plane; serving for {DrainDelay} more while callers drop this instance", delay);
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first: stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
