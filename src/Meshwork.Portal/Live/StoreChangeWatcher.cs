using Meshwork.Store;

namespace Meshwork.Portal.Live;

/// <summary>
/// LISTENs on the store's "meshwork_changes" channel (as the control plane does) and tells
/// <see cref="MeshLiveData"/>, so pages showing resources reload when anyone commits a change: another
/// operator's page, the REST API, meshctl. Listening first, and again after a lost connection, counts as a change (a resync).
/// </summary>
public sealed class StoreChangeWatcher(IConfiguration configuration, MeshLiveData live, ILogger<ChangeListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var listener = new ChangeListener(configuration.GetConnectionString("Meshwork")!, logger);
        try
        {
            await listener.StartAsync(stoppingToken);
            // The portal serves pages before LISTEN is active (a background service starts after the host): a change
            // committed in between was not heard, so the first LISTEN counts as a resync too, as a reconnect does.
            live.ResourcesChanged();
            await foreach (var _ in listener.Changes.ReadAllAsync(stoppingToken))
                live.ResourcesChanged();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
