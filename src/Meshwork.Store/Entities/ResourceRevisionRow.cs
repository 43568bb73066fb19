using Meshwork.Model.Resources;

namespace Meshwork.Store.Entities;

/// <summary>Every version of every resource ever written (table <c>resource_revisions</c>). Never updated.</summary>
internal sealed class ResourceRevisionRow
{
    public long Id { get; set; }
    public ResourceKind Kind { get; set; }
    public required string Namespace { get; set; }
    public required string Name { get; set; }
    public long Version { get; set; }
    public ChangeAction Action { get; set; }

    /// <summary>The resource's MeshworkJson form at this version; null for a delete's tombstone.</summary>
    public string? Spec { get; set; }

    public DateTimeOffset ChangedAt { get; set; }
    public required string ChangedBy { get; set; }
    public ChangeSource Source { get; set; }
}
