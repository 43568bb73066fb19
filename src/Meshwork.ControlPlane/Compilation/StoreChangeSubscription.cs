using Meshwork.Store;

namespace Meshwork.ControlPlane.Compilation;

/// <summary>
/// LISTENs on the store's "meshwork_changes" channel and wakes the compiler. Every change (and
/// every resync after a lost connection) reloads the desired state: one indexed read, far cheaper
/// than working out which proxies a policy or route edit can touch.
/// </summary>
public sealed class StoreChangeSubscription(IConfiguration configuration, SnapshotPublisher publisher, ILogger<ChangeListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var listener = new ChangeListener(configuration.GetConnectionString("Meshwork")!, logger);
        try
        {
            await listener.StartAsync(stoppingToken);
            // Anything committed before LISTEN was active is picked up by this reload.
            publisher.DesiredStateChanged();
            await foreach (var change in listener.Changes.ReadAllAsync(stoppingToken))
            {
                logger.LogDebug("Desired state changed: {Change}", change.IsResync ? "resync" : $"{change.Key}:{change.Version}");
                publisher.DesiredStateChanged();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
