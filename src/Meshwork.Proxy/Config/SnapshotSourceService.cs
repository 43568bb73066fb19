namespace Meshwork.Proxy.Config;

/// <summary>
/// Serves the last good snapshot from disk at start (so the proxy works before, or without, its
/// config source), then applies whatever the configured <see cref="ISnapshotSource"/> yields and
/// reports each outcome back to it.
/// </summary>
public sealed class SnapshotSourceService(
    SnapshotApplier applier, LastGoodSnapshotStore store, IEnumerable<ISnapshotSource> sources, ILogger<SnapshotSourceService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store.Load() is { } lastGood)
        {
            var result = await applier.ApplyAsync(lastGood, "last-good:" + store.FilePath, persist: false, stoppingToken);
            logger.LogInformation("Last good snapshot v{Version}: {Outcome}", lastGood.Version, result.Accepted ? "serving" : "rejected");
        }
        await Task.WhenAll(sources.Select(source => RunAsync(source, stoppingToken)));
    }

    private async Task RunAsync(ISnapshotSource source, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var snapshot in source.WatchAsync(stoppingToken))
            {
                var result = await applier.ApplyAsync(snapshot, source.Name, persist: true, stoppingToken);
                await source.ReportAsync(result, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
