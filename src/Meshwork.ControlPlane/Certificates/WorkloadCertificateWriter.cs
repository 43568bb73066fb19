using Meshwork.Store.Registry;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// Writes issued and retired workload certificates to the shared store in batches, off the compile
/// path. A write lost to a crash only means the proxy's next replica issues it a new certificate.
/// While PostgreSQL is away the writes wait (the newest per proxy) and are retried.
/// </summary>
public sealed class WorkloadCertificateWriter(WorkloadCertificates certificates, WorkloadCertificateStore store, ILogger<WorkloadCertificateWriter> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pending = new Dictionary<string, CertificateWrite>();
        var failing = false;
        try
        {
            while (await certificates.Writes.WaitToReadAsync(stoppingToken))
            {
                while (certificates.Writes.TryRead(out var write)) pending[write.ProxyId] = write;
                try
                {
                    await store.DeleteAsync(pending.Values.Where(w => w.Certificate is null).Select(w => w.ProxyId).ToList(), stoppingToken);
                    await store.SaveAsync(pending.Values.Select(w => w.Certificate).OfType<Store.Entities.WorkloadCertificateRow>().ToList(), stoppingToken);
                    pending.Clear();
                    failing = false;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    if (!failing) logger.LogWarning("Workload certificates not stored yet ({Message}); retrying", ex.Message);
                    failing = true;
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
