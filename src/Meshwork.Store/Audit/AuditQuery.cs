using Meshwork.Model.Resources;

namespace Meshwork.Store;

/// <summary>Filters for <see cref="AuditLog.QueryAsync"/>; null means "any". Results are newest first.</summary>
public sealed record AuditQuery
{
    public string? Actor { get; init; }
    public ChangeSource? Source { get; init; }
    public ResourceKind? Kind { get; init; }
    public string? Namespace { get; init; }
    public string? Name { get; init; }
    public ChangeAction? Action { get; init; }

    /// <summary>Inclusive lower bound on <see cref="AuditEntry.At"/>.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Exclusive upper bound on <see cref="AuditEntry.At"/>.</summary>
    public DateTimeOffset? To { get; init; }

    public int Skip { get; init; }
    public int Take { get; init; } = 100;
}
