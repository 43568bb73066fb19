using Meshwork.ControlPlane.Configuration;
using Meshwork.Store;
using Meshwork.Store.Registry;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Registry;

/// <summary>
/// Keeps <see cref="ServiceRegistry"/>'s copy of the shared registry current: re-reads the table
/// when any replica notifies a change (a burst collapses into one read), after the listener
/// reconnects, and every <see cref="ControlPlaneOptions.RegistryResyncInterval"/> in any case. While
/// PostgreSQL is away the last copy stays: no instance is dropped because the table cannot be read.
/// </summary>
public sealed class SharedRegistryReader(
    ServiceRegistry registry,
    InstanceLeaseStore store,
    IConfiguration configuration,
    IOptions<ControlPlaneOptions> options,
    ILogger<RegistryListener> listenerLogger,
    ILogger<SharedRegistryReader> logger) : BackgroundService
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(50);

    /// <summary>Reads the whole table once (at start, before any proxy is admitted).</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        var rows = await store.ListAsync(ct);
        registry.ReplaceShared(rows.Select(RegistryRows.FromRow).ToList());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var listener = new RegistryListener(configuration.GetConnectionString("Meshwork")!, listenerLogger);
        try
        {
            await listener.StartAsync(stoppingToken);
            var failing = false;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await LoadAsync(stoppingToken);
                    if (failing) logger.LogInformation("Shared registry readable again");
                    failing = false;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    if (!failing) logger.LogWarning("Shared registry not readable ({Message}); keeping the last copy", ex.Message);
                    failing = true;
                }
                using var resync = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                resync.CancelAfter(failing ? TimeSpan.FromSeconds(1) : options.Value.RegistryResyncInterval);
                try
                {
                    await listener.Changes.WaitToReadAsync(resync.Token);
                    await Task.Delay(Debounce, stoppingToken);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // Time for a full re-read anyway.
                }
                while (listener.Changes.TryRead(out _))
                {
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
