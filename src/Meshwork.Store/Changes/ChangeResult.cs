using Meshwork.Model.Resources;
using Meshwork.Model.Validation;

namespace Meshwork.Store;

/// <summary>
/// Every outcome of a change. Expected failures (invalid input, a stale version, a missing
/// resource) are values, not exceptions, so callers handle each one exhaustively.
/// </summary>
public abstract record ChangeResult
{
    private ChangeResult()
    {
    }

    /// <summary>Committed. <paramref name="Resources"/> carry their new versions (a deleted one its tombstone version).</summary>
    public sealed record Applied(IReadOnlyList<StoredResource> Resources, IReadOnlyList<ValidationIssue> Warnings) : ChangeResult
    {
        /// <summary>The desired-state revision this change created: the audit sequence of its last entry (0 when it wrote nothing).</summary>
        public long Revision { get; init; }
    }

    /// <summary>Rejected by the validator; nothing was written. Paths are prefixed "[i]." for batches.</summary>
    public sealed record Invalid(ValidationResult Validation) : ChangeResult;

    /// <summary>The resource changed since the caller read it (or already exists, for a create); nothing was written.</summary>
    public sealed record Conflict(ResourceKey Key, long ExpectedVersion, long CurrentVersion) : ChangeResult;

    /// <summary>The resource (or the requested revision) does not exist; nothing was written.</summary>
    public sealed record NotFound(ResourceKey Key) : ChangeResult;
}
