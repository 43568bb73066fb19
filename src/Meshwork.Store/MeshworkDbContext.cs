using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.Store;

/// <summary>
/// Desired state, its history and audit, the control plane's durable secrets, and the state its
/// replicas share: the service registry (instances under leases), leases such as the leader's,
/// the workload certificates they issued, the rollout controller's state, and one-minute rollups
/// of the golden signals (history for charts). Live proxy status is never stored here.
/// Write resources only through <see cref="ResourceService"/>: it is what keeps versions,
/// revisions and the audit chain consistent.
/// Internal: code outside the Store reaches these tables only through the Store's services
/// (<see cref="StoreSession"/>), the same split the database roles enforce (docs/security.md, item 15).
/// </summary>
internal sealed class MeshworkDbContext(DbContextOptions<MeshworkDbContext> options) : DbContext(options)
{
    /// <summary>The channel <see cref="ResourceService"/> notifies on commit; payload "Kind/namespace/name:version".</summary>
    public const string ChangesChannel = "meshwork_changes";

    /// <summary>The channel <see cref="Registry.InstanceLeaseStore"/> notifies when instances join, change or leave; payload: the writer's replica id.</summary>
    public const string RegistryChannel = "meshwork_registry";

    public DbSet<ResourceRow> Resources => Set<ResourceRow>();
    public DbSet<ResourceRevisionRow> ResourceRevisions => Set<ResourceRevisionRow>();
    public DbSet<AuditEntry> AuditLog => Set<AuditEntry>();
    public DbSet<BootstrapToken> BootstrapTokens => Set<BootstrapToken>();
    public DbSet<ProxyJoin> ProxyJoins => Set<ProxyJoin>();
    public DbSet<CertificateAuthority> CertificateAuthorities => Set<CertificateAuthority>();
    public DbSet<RegistryInstanceRow> RegistryInstances => Set<RegistryInstanceRow>();
    public DbSet<ControlPlaneLease> ControlPlaneLeases => Set<ControlPlaneLease>();
    public DbSet<WorkloadCertificateRow> WorkloadCertificates => Set<WorkloadCertificateRow>();
    public DbSet<RolloutStateRow> RolloutStates => Set<RolloutStateRow>();
    public DbSet<SignalRollupRow> SignalRollups => Set<SignalRollupRow>();
    public DbSet<TcpRollupRow> TcpRollups => Set<TcpRollupRow>();
    public DbSet<VersionTotalsRow> VersionTotals => Set<VersionTotalsRow>();
    public DbSet<WebhookOutboxRow> WebhookOutbox => Set<WebhookOutboxRow>();

    /// <summary>A context of its own over <paramref name="connectionString"/> (the caller disposes it).</summary>
    public static MeshworkDbContext Open(string connectionString) =>
        new(new DbContextOptionsBuilder<MeshworkDbContext>().UseNpgsql(connectionString).Options);

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(MeshworkDbContext).Assembly);
}
