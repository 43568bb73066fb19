using Meshwork.Store;

namespace Meshwork.Portal.Live;

/// <summary>
/// LISTENs on the store's "meshwork_changes" channel (as the control plane does) and tells
/// <see cref="MeshLiveData"/>, so pages showing resources reload when anyone commits a change: another
/// operator's page, the REST API, meshctl. A resync after a lost connection counts as a change.
/// </summary>
public sealed class StoreChangeWatcher(IConfiguration configuration, MeshLiveData live, ILogger<ChangeListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var listener = new ChangeListener(configuration.GetConnectionString("Meshwork")!, logger);
        try
        {
            await listener.StartAsync(stoppingToken);
            await foreach (var _ in listener.Changes.ReadAllAsync(stoppingToken))
                live.ResourcesChanged();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
