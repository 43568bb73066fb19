using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class ResourceRevisionRowEntityTypeConfiguration : IEntityTypeConfiguration<ResourceRevisionRow>
{
    public void Configure(EntityTypeBuilder<ResourceRevisionRow> builder)
    {
        builder.ToTable("resource_revisions");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).HasColumnName("id").UseIdentityAlwaysColumn();
        builder.Property(r => r.Kind).HasColumnName("kind").HasConversion<string>().HasMaxLength(64);
        builder.Property(r => r.Namespace).HasColumnName("namespace").HasMaxLength(253);
        builder.Property(r => r.Name).HasColumnName("name").HasMaxLength(253);
        builder.Property(r => r.Version).HasColumnName("version");
        builder.Property(r => r.Action).HasColumnName("action").HasConversion<string>().HasMaxLength(32);
        builder.Property(r => r.Spec).HasColumnName("spec").HasColumnType("jsonb");
        builder.Property(r => r.ChangedAt).HasColumnName("changed_at");
        builder.Property(r => r.ChangedBy).HasColumnName("changed_by");
        builder.Property(r => r.Source).HasColumnName("source").HasConversion<string>().HasMaxLength(32);
        builder.HasIndex(r => new { r.Kind, r.Namespace, r.Name, r.Version }).IsUnique().HasDatabaseName("ux_resource_revisions_key_version");
    }
}
