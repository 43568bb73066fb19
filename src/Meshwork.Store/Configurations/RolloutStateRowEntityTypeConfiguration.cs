using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class RolloutStateRowEntityTypeConfiguration : IEntityTypeConfiguration<RolloutStateRow>
{
    public void Configure(EntityTypeBuilder<RolloutStateRow> builder)
    {
        // Defaults: the portal may queue a command before the controller first saved the rollout.
        builder.ToTable("rollout_states");
        builder.HasKey(r => new { r.Namespace, r.Name });
        builder.Property(r => r.Namespace).HasColumnName("namespace").HasMaxLength(253);
        builder.Property(r => r.Name).HasColumnName("name").HasMaxLength(253);
        builder.Property(r => r.RolloutVersion).HasColumnName("rollout_version");
        builder.Property(r => r.Phase).HasColumnName("phase").HasMaxLength(32).HasDefaultValue("Progressing");
        builder.Property(r => r.Step).HasColumnName("step");
        builder.Property(r => r.StepCount).HasColumnName("step_count");
        builder.Property(r => r.Weight).HasColumnName("weight");
        builder.Property(r => r.StepStartedAt).HasColumnName("step_started_at").HasDefaultValueSql("now()");
        builder.Property(r => r.ConsecutiveFailures).HasColumnName("consecutive_failures");
        builder.Property(r => r.Message).HasColumnName("message");
        builder.Property(r => r.LastAnalysis).HasColumnName("last_analysis").HasColumnType("jsonb");
        builder.Property(r => r.History).HasColumnName("history").HasColumnType("jsonb").HasDefaultValueSql("'[]'::jsonb");
        builder.Property(r => r.Analyses).HasColumnName("analyses").HasColumnType("jsonb").HasDefaultValueSql("'[]'::jsonb");
        builder.Property(r => r.PendingCommand).HasColumnName("pending_command").HasMaxLength(32);
        builder.Property(r => r.PendingActor).HasColumnName("pending_actor").HasMaxLength(253);
        builder.Property(r => r.PendingAt).HasColumnName("pending_at");
        builder.Property(r => r.UpdatedAt).HasColumnName("updated_at").HasDefaultValueSql("now()");
    }
}
