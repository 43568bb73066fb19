using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class ResourceRowEntityTypeConfiguration : IEntityTypeConfiguration<ResourceRow>
{
    public const string KeyIndexName = "ux_resources_key";

    public void Configure(EntityTypeBuilder<ResourceRow> builder)
    {
        builder.ToTable("resources");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).HasColumnName("id").UseIdentityAlwaysColumn();
        builder.Property(r => r.Kind).HasColumnName("kind").HasConversion<string>().HasMaxLength(64);
        builder.Property(r => r.Namespace).HasColumnName("namespace").HasMaxLength(253);
        builder.Property(r => r.Name).HasColumnName("name").HasMaxLength(253);
        builder.Property(r => r.Version).HasColumnName("version").IsConcurrencyToken();
        builder.Property(r => r.Spec).HasColumnName("spec").HasColumnType("jsonb");
        builder.Property(r => r.UpdatedAt).HasColumnName("updated_at");
        builder.Property(r => r.UpdatedBy).HasColumnName("updated_by");
        builder.HasIndex(r => new { r.Kind, r.Namespace, r.Name }).IsUnique().HasDatabaseName(KeyIndexName);
    }
}
