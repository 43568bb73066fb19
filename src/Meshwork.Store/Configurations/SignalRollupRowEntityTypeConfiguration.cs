using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class SignalRollupRowEntityTypeConfiguration : IEntityTypeConfiguration<SignalRollupRow>
{
    public void Configure(EntityTypeBuilder<SignalRollupRow> builder)
    {
        builder.ToTable("signal_rollups");
        // Minute first: range reads and retention pruning walk the key in order.
        builder.HasKey(r => new
        {
            r.Minute, r.Kind, r.SourceService, r.SourceNamespace, r.SourceVersion,
            r.DestinationService, r.DestinationNamespace, r.DestinationVersion, r.Writer,
        });
        builder.Property(r => r.Minute).HasColumnName("minute");
        builder.Property(r => r.Kind).HasColumnName("kind").HasMaxLength(16);
        builder.Property(r => r.SourceService).HasColumnName("source_service").HasMaxLength(253);
        builder.Property(r => r.SourceNamespace).HasColumnName("source_namespace").HasMaxLength(253);
        builder.Property(r => r.SourceVersion).HasColumnName("source_version").HasMaxLength(253);
        builder.Property(r => r.DestinationService).HasColumnName("destination_service").HasMaxLength(253);
        builder.Property(r => r.DestinationNamespace).HasColumnName("destination_namespace").HasMaxLength(253);
        builder.Property(r => r.DestinationVersion).HasColumnName("destination_version").HasMaxLength(253);
        builder.Property(r => r.Writer).HasColumnName("writer").HasMaxLength(300);
        builder.Property(r => r.Requests).HasColumnName("requests");
        builder.Property(r => r.Failures).HasColumnName("failures");
        builder.Property(r => r.LatencyBucketCounts).HasColumnName("latency_bucket_counts");
        builder.Property(r => r.WrittenAt).HasColumnName("written_at");
    }
}
