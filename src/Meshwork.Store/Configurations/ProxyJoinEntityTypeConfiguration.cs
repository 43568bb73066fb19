using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class ProxyJoinEntityTypeConfiguration : IEntityTypeConfiguration<ProxyJoin>
{
    public void Configure(EntityTypeBuilder<ProxyJoin> builder)
    {
        builder.ToTable("proxy_joins");
        builder.HasKey(j => j.KeyHash);
        builder.Property(j => j.KeyHash).HasColumnName("key_hash").HasMaxLength(64);
        builder.Property(j => j.TokenId).HasColumnName("token_id");
        builder.Property(j => j.Namespace).HasColumnName("namespace").HasMaxLength(63);
        builder.Property(j => j.Service).HasColumnName("service").HasMaxLength(63);
        builder.Property(j => j.ProxyId).HasColumnName("proxy_id").HasMaxLength(253);
        builder.Property(j => j.JoinedAt).HasColumnName("joined_at");
        builder.HasOne<BootstrapToken>().WithMany().HasForeignKey(j => j.TokenId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(j => j.TokenId).HasDatabaseName("ix_proxy_joins_token_id");
    }
}
