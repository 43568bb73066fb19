using Meshwork.ControlPlane.Compilation;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Registry;
using Meshwork.Store;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// Runs before the gRPC listener opens: optionally migrates the database, then loads (or creates)
/// the CA so no proxy is ever admitted without a certificate to give it, reads the shared registry
/// so the first snapshots already hold every live instance, writes the trust bundle for clients and
/// issues the gRPC port's TLS certificate. Waits for Postgres.
/// </summary>
public sealed class ControlPlaneStartup(
    IServiceScopeFactory scopes,
    DesiredStateReader reader,
    CertificateAuthorityLoader loader,
    WorkloadCertificates certificates,
    SharedRegistryReader registry,
    GrpcServerCertificate serverCertificate,
    IOptions<ControlPlaneOptions> options,
    ILogger<ControlPlaneStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (options.Value.MigrateDatabase)
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<StoreMigrations>().MigrateAsync(cancellationToken);
                }
                var desired = await reader.ReadAsync(cancellationToken);
                certificates.Use(await loader.LoadAsync(desired.Settings.TrustDomain, cancellationToken));
                await registry.LoadAsync(cancellationToken);
                if (!string.IsNullOrWhiteSpace(options.Value.TrustBundleFile))
                    TrustBundleFile.Write(options.Value.TrustBundleFile, certificates.Authority.TrustBundlePem, logger);
                serverCertificate.Start(desired.Settings.TrustDomain);
                return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(10, attempt));
                logger.LogWarning("Postgres not reachable yet ({Message}); retrying in {Delay} s", ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
