using Meshwork.Model.Resources;

namespace Meshwork.Store.Entities;

/// <summary>The current desired state of one resource (table <c>resources</c>).</summary>
internal sealed class ResourceRow
{
    public long Id { get; set; }
    public ResourceKind Kind { get; set; }
    public required string Namespace { get; set; }
    public required string Name { get; set; }

    /// <summary>Optimistic-concurrency token: every write bumps it; a stale write matches no row.</summary>
    public long Version { get; set; }

    /// <summary>The whole resource in its MeshworkJson form (jsonb).</summary>
    public required string Spec { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}
