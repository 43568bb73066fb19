using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class ControlPlaneLeaseEntityTypeConfiguration : IEntityTypeConfiguration<ControlPlaneLease>
{
    public void Configure(EntityTypeBuilder<ControlPlaneLease> builder)
    {
        builder.ToTable("control_plane_leases");
        builder.HasKey(l => l.Name);
        builder.Property(l => l.Name).HasColumnName("name").HasMaxLength(64);
        builder.Property(l => l.Holder).HasColumnName("holder").HasMaxLength(253);
        builder.Property(l => l.AcquiredAt).HasColumnName("acquired_at");
        builder.Property(l => l.ExpiresAt).HasColumnName("expires_at");
    }
}
