using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.Store;

/// <summary>
/// Desired state, its history and audit, plus the control plane's durable secrets. Runtime state
/// (proxy status, instances, metrics) is never stored here. Write resources only through
/// <see cref="ResourceService"/>: it is what keeps versions, revisions and the audit chain consistent.
/// </summary>
public sealed class MeshworkDbContext(DbContextOptions<MeshworkDbContext> options) : DbContext(options)
{
    /// <summary>The channel <see cref="ResourceService"/> notifies on commit; payload "Kind/namespace/name:version".</summary>
    public const string ChangesChannel = "meshwork_changes";

    public DbSet<ResourceRow> Resources => Set<ResourceRow>();
    public DbSet<ResourceRevisionRow> ResourceRevisions => Set<ResourceRevisionRow>();
    public DbSet<AuditEntry> AuditLog => Set<AuditEntry>();
    public DbSet<BootstrapToken> BootstrapTokens => Set<BootstrapToken>();
    public DbSet<CertificateAuthority> CertificateAuthorities => Set<CertificateAuthority>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(MeshworkDbContext).Assembly);
}
