using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class TcpRollupRowEntityTypeConfiguration : IEntityTypeConfiguration<TcpRollupRow>
{
    public void Configure(EntityTypeBuilder<TcpRollupRow> builder)
    {
        builder.ToTable("tcp_rollups");
        // Minute first, as signal_rollups: range reads and retention pruning walk the key in order.
        builder.HasKey(r => new
        {
            r.Minute, r.SourceService, r.SourceNamespace, r.SourceVersion,
            r.DestinationService, r.DestinationNamespace, r.DestinationVersion, r.Writer,
        });
        builder.Property(r => r.Minute).HasColumnName("minute");
        builder.Property(r => r.SourceService).HasColumnName("source_service").HasMaxLength(253);
        builder.Property(r => r.SourceNamespace).HasColumnName("source_namespace").HasMaxLength(253);
        builder.Property(r => r.SourceVersion).HasColumnName("source_version").HasMaxLength(253);
        builder.Property(r => r.DestinationService).HasColumnName("destination_service").HasMaxLength(253);
        builder.Property(r => r.DestinationNamespace).HasColumnName("destination_namespace").HasMaxLength(253);
        builder.Property(r => r.DestinationVersion).HasColumnName("destination_version").HasMaxLength(253);
        builder.Property(r => r.Writer).HasColumnName("writer").HasMaxLength(300);
        builder.Property(r => r.Opened).HasColumnName("opened");
        builder.Property(r => r.Closed).HasColumnName("closed");
        builder.Property(r => r.ConnectFailures).HasColumnName("connect_failures");
        builder.Property(r => r.Denied).HasColumnName("denied");
        builder.Property(r => r.ReceivedBytes).HasColumnName("received_bytes");
        builder.Property(r => r.SentBytes).HasColumnName("sent_bytes");
        builder.Property(r => r.ClosedDurationMs).HasColumnName("closed_duration_ms");
        builder.Property(r => r.WrittenAt).HasColumnName("written_at");
    }
}
