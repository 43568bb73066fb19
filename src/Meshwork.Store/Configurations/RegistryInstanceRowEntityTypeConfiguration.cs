using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class RegistryInstanceRowEntityTypeConfiguration : IEntityTypeConfiguration<RegistryInstanceRow>
{
    public void Configure(EntityTypeBuilder<RegistryInstanceRow> builder)
    {
        builder.ToTable("registry_instances");
        builder.HasKey(i => i.ProxyId);
        builder.Property(i => i.ProxyId).HasColumnName("proxy_id").HasMaxLength(253);
        builder.Property(i => i.Service).HasColumnName("service").HasMaxLength(253);
        builder.Property(i => i.Namespace).HasColumnName("namespace").HasMaxLength(253);
        builder.Property(i => i.Version).HasColumnName("version").HasMaxLength(253);
        builder.Property(i => i.Address).HasColumnName("address").HasMaxLength(300);
        builder.Property(i => i.Health).HasColumnName("health").HasMaxLength(16);
        builder.Property(i => i.Labels).HasColumnName("labels").HasColumnType("jsonb");
        builder.Property(i => i.Gateway).HasColumnName("gateway");
        builder.Property(i => i.ReplicaId).HasColumnName("replica_id").HasMaxLength(253);
        builder.Property(i => i.ConnectionId).HasColumnName("connection_id");
        builder.Property(i => i.RegisteredAt).HasColumnName("registered_at");
        builder.Property(i => i.LeaseExpiresAt).HasColumnName("lease_expires_at");
        builder.HasIndex(i => i.LeaseExpiresAt).HasDatabaseName("ix_registry_instances_lease_expires_at");
    }
}
