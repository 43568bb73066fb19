using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class AuditEntryEntityTypeConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("audit_log");
        builder.HasKey(a => a.Sequence);
        // Assigned by ResourceService under the audit lock (previous + 1), so the chain has no gaps.
        builder.Property(a => a.Sequence).HasColumnName("sequence").ValueGeneratedNever();
        builder.Property(a => a.At).HasColumnName("at");
        builder.Property(a => a.Actor).HasColumnName("actor");
        builder.Property(a => a.Source).HasColumnName("source").HasConversion<string>().HasMaxLength(32);
        builder.Property(a => a.Kind).HasColumnName("kind").HasConversion<string>().HasMaxLength(64);
        builder.Property(a => a.Namespace).HasColumnName("namespace").HasMaxLength(253);
        builder.Property(a => a.Name).HasColumnName("name").HasMaxLength(253);
        builder.Property(a => a.Action).HasColumnName("action").HasConversion<string>().HasMaxLength(32);
        builder.Property(a => a.VersionBefore).HasColumnName("version_before");
        builder.Property(a => a.VersionAfter).HasColumnName("version_after");
        // json, not jsonb: the text is kept byte for byte, so the hash computed over it still matches when read back.
        builder.Property(a => a.BeforeJson).HasColumnName("before").HasColumnType("json");
        builder.Property(a => a.AfterJson).HasColumnName("after").HasColumnType("json");
        builder.Property(a => a.PreviousHash).HasColumnName("previous_hash").HasMaxLength(64).IsFixedLength();
        builder.Property(a => a.Hash).HasColumnName("hash").HasMaxLength(64).IsFixedLength();
        builder.Property(a => a.Reason).HasColumnName("reason").HasMaxLength(1000);
        builder.Property(a => a.Seal).HasColumnName("seal").HasMaxLength(64).IsFixedLength();
        builder.Ignore(a => a.Key);
        builder.Ignore(a => a.Subject);
        builder.HasIndex(a => new { a.Kind, a.Namespace, a.Name }).HasDatabaseName("ix_audit_log_key");
        builder.HasIndex(a => a.Actor).HasDatabaseName("ix_audit_log_actor");
        builder.HasIndex(a => a.At).HasDatabaseName("ix_audit_log_at");
    }
}
