using Meshwork.Store;
using Meshwork.Store.Registry;
using Meshwork.Store.Rollouts;
using Meshwork.Store.Signals;
using Npgsql;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

public static class MeshworkStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Store's services: a <see cref="StoreSession"/> per scope (over the internal EF
    /// context) with <see cref="ResourceService"/>, <see cref="AuditLog"/>, <see cref="BootstrapTokenService"/>
    /// and <see cref="StoreMigrations"/> on it, the stores the control plane uses, and a "postgres"
    /// health check (part of /health, not of /alive).
    /// </summary>
    /// <param name="auditSealKey">
    /// Audit:SealKey, a secret the database never sees: every audit row written here is sealed with
    /// it and verification checks the seals (<see cref="AuditSealer"/>). Null: rows are unsealed.
    /// A key that is too short fails here, at start, not at the first change.
    /// </param>
    public static IServiceCollection AddMeshworkStore(this IServiceCollection services, string connectionString, string? auditSealKey = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        // One pool per process: the EF contexts borrow from the same data source as the stores that use
        // Npgsql directly (with a connection string of its own, EF would open a second pool of the same size).
        services.AddDbContextFactory<MeshworkDbContext>((provider, options) => options.UseNpgsql(provider.GetRequiredService<NpgsqlDataSource>()));
        services.AddScoped(provider => new StoreSession(provider.GetRequiredService<MeshworkDbContext>()));
        services.AddScoped<StoreMigrations>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(AuditSealer.FromSecret(auditSealKey));
        services.AddScoped<ResourceService>();
        services.AddScoped<AuditLog>();
        services.AddOptions<BootstrapTokenOptions>();
        services.AddScoped<BootstrapTokenService>();
        services.AddScoped<FleetAuditLog>();
        services.AddSingleton<BootstrapTokenStore>();
        services.AddSingleton<ProxyJoinStore>();
        services.AddSingleton<CertificateAuthorityStore>();
        services.TryAddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddSingleton<InstanceLeaseStore>();
        services.AddSingleton<LeaseStore>();
        services.AddSingleton<WorkloadCertificateStore>();
        services.AddSingleton<RolloutStateStore>();
        services.AddSingleton<SignalHistoryStore>();
        services.AddSingleton<TcpHistoryStore>();
        services.AddSingleton<VersionTotalsStore>();
        services.AddSingleton<WebhookOutboxStore>();
        services.AddHealthChecks().AddCheck<MeshworkDatabaseHealthCheck>("postgres", HealthStatus.Unhealthy, ["ready"]);
        return services;
    }
}
