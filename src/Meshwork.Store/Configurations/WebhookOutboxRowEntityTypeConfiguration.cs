using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class WebhookOutboxRowEntityTypeConfiguration : IEntityTypeConfiguration<WebhookOutboxRow>
{
    public void Configure(EntityTypeBuilder<WebhookOutboxRow> builder)
    {
        builder.ToTable("webhook_outbox");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).HasColumnName("id").UseIdentityAlwaysColumn();
        builder.Property(r => r.Namespace).HasColumnName("namespace").HasMaxLength(253);
        builder.Property(r => r.Rollout).HasColumnName("rollout").HasMaxLength(253);
        builder.Property(r => r.Webhook).HasColumnName("webhook").HasMaxLength(63);
        builder.Property(r => r.Url).HasColumnName("url").HasMaxLength(2048);
        builder.Property(r => r.TimeoutMs).HasColumnName("timeout_ms");
        builder.Property(r => r.Retries).HasColumnName("retries");
        builder.Property(r => r.Payload).HasColumnName("payload").HasColumnType("jsonb");
        builder.Property(r => r.CreatedAt).HasColumnName("created_at");
        // Each webhook's sender reads its oldest event.
        builder.HasIndex(r => new { r.Namespace, r.Rollout, r.Webhook, r.Id });
    }
}
