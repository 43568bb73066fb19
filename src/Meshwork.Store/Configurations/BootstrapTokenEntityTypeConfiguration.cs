using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class BootstrapTokenEntityTypeConfiguration : IEntityTypeConfiguration<BootstrapToken>
{
    public void Configure(EntityTypeBuilder<BootstrapToken> builder)
    {
        builder.ToTable("bootstrap_tokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).HasColumnName("id");
        builder.Property(t => t.Name).HasColumnName("name").HasMaxLength(253);
        builder.Property(t => t.SecretHash).HasColumnName("secret_hash").HasMaxLength(128);
        builder.Property(t => t.Service).HasColumnName("service").HasMaxLength(253);
        builder.Property(t => t.Namespace).HasColumnName("namespace").HasMaxLength(253);
        builder.Property(t => t.CreatedAt).HasColumnName("created_at");
        builder.Property(t => t.ExpiresAt).HasColumnName("expires_at");
        builder.Property(t => t.RevokedAt).HasColumnName("revoked_at");
        builder.Property(t => t.CreatedBy).HasColumnName("created_by");
        builder.HasIndex(t => t.SecretHash).IsUnique().HasDatabaseName("ux_bootstrap_tokens_secret_hash");
    }
}
