using Meshwork.ControlPlane.Configuration;
using Meshwork.Store.Registry;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Registry;

/// <summary>
/// Writes this replica's first-hand knowledge to the shared registry: registrations and changes as
/// they happen (notifying the other replicas), removals after a Goodbye, and the lease of every
/// proxy connected here, renewed every third of the grace period (at least every second). When
/// PostgreSQL is away the writes wait and are retried; the streams and snapshots carry on.
/// </summary>
public sealed class RegistryLeaseWriter(
    ServiceRegistry registry,
    InstanceLeaseStore store,
    IOptions<ControlPlaneOptions> options,
    ILogger<RegistryLeaseWriter> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var renewEvery = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, settings.InstanceGracePeriod.Ticks / 3));
        var nextRenewal = DateTime.UtcNow + renewEvery;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = nextRenewal - DateTime.UtcNow;
            try
            {
                if (wait > TimeSpan.Zero) await registry.WaitForWritesAsync(wait, stoppingToken);
                await WritePendingAsync(settings, stoppingToken);
                if (DateTime.UtcNow >= nextRenewal)
                {
                    await RenewAsync(settings, stoppingToken);
                    nextRenewal = DateTime.UtcNow + renewEvery;
                }
                if (failing) logger.LogInformation("Shared registry writes resumed");
                failing = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (!failing) logger.LogWarning("Shared registry not writable ({Message}); proxies keep their snapshots, retrying every {Delay} s", ex.Message, RetryDelay.TotalSeconds);
                failing = true;
                await Task.Delay(RetryDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task WritePendingAsync(ControlPlaneOptions settings, CancellationToken ct)
    {
        var writes = registry.TakePendingWrites();
        if (writes.IsEmpty) return;
        try
        {
            var replica = settings.EffectiveReplicaId;
            await store.DeleteAsync(writes.Removals, replica, ct);
            await store.UpsertAsync(writes.Registrations.Select(RegistryRows.ToRow).ToList(), settings.InstanceGracePeriod, takeOver: true, notify: true, replica, ct);
            await store.UpsertAsync(writes.Updates.Select(RegistryRows.ToRow).ToList(), settings.InstanceGracePeriod, takeOver: false, notify: true, replica, ct);
        }
        catch
        {
            registry.Requeue(writes);
            throw;
        }
    }

    private Task RenewAsync(ControlPlaneOptions settings, CancellationToken ct) =>
        store.UpsertAsync(registry.Connected().Select(RegistryRows.ToRow).ToList(), settings.InstanceGracePeriod, takeOver: false, notify: false,
            settings.EffectiveReplicaId, ct);
}
