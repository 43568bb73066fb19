using Meshwork.Store;
using Meshwork.Store.Registry;
using Meshwork.Store.Signals;
using Npgsql;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

public static class MeshworkStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MeshworkDbContext"/> (scoped, plus an <see cref="IDbContextFactory{TContext}"/>
    /// for Blazor components), <see cref="ResourceService"/>, <see cref="AuditLog"/> and a "postgres"
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
        services.AddDbContextFactory<MeshworkDbContext>(options => options.UseNpgsql(connectionString));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(AuditSealer.FromSecret(auditSealKey));
        services.AddScoped<ResourceService>();
        services.AddScoped<AuditLog>();
        services.AddOptions<BootstrapTokenOptions>();
        services.AddScoped<BootstrapTokenService>();
        services.TryAddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddSingleton<InstanceLeaseStore>();
        services.AddSingleton<LeaseStore>();
        services.AddSingleton<WorkloadCertificateStore>();
        services.AddSingleton<Meshwork.Store.Rollouts.RolloutStateStore>();
        services.AddSingleton<SignalHistoryStore>();
        services.AddHealthChecks().AddCheck<MeshworkDatabaseHealthCheck>("postgres", HealthStatus.Unhealthy, ["ready"]);
        return services;
    }
}
