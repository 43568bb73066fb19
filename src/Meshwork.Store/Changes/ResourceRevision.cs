using Meshwork.Model.Resources;

namespace Meshwork.Store;

/// <summary>
/// One version of a resource as it was written. <paramref name="Resource"/> is null for the
/// tombstone a delete leaves (its version is the one after the last live version).
/// </summary>
public sealed record ResourceRevision(
    ResourceKey Key,
    long Version,
    ChangeAction Action,
    Resource? Resource,
    DateTimeOffset At,
    string Actor,
    ChangeSource Source);
