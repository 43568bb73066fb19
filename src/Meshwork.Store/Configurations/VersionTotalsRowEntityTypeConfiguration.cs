using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class VersionTotalsRowEntityTypeConfiguration : IEntityTypeConfiguration<VersionTotalsRow>
{
    public void Configure(EntityTypeBuilder<VersionTotalsRow> builder)
    {
        builder.ToTable("version_totals");
        builder.HasKey(r => new { r.Namespace, r.Service, r.Version, r.Writer });
        builder.Property(r => r.Writer).HasColumnName("writer").HasMaxLength(300);
        builder.Property(r => r.Namespace).HasColumnName("namespace").HasMaxLength(253);
        builder.Property(r => r.Service).HasColumnName("service").HasMaxLength(253);
        builder.Property(r => r.Version).HasColumnName("version").HasMaxLength(253);
        builder.Property(r => r.FirstWrittenAt).HasColumnName("first_written_at");
        builder.Property(r => r.Requests).HasColumnName("requests");
        builder.Property(r => r.Failures).HasColumnName("failures");
        builder.Property(r => r.LatencyBucketCounts).HasColumnName("latency_bucket_counts");
        builder.Property(r => r.WrittenAt).HasColumnName("written_at");
        // Pruning walks the writers that stopped writing.
        builder.HasIndex(r => r.WrittenAt);
    }
}
