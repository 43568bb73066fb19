using Meshwork.Model.Resources;

namespace Meshwork.Store;

/// <summary>
/// One row of the append-only, hash-chained audit log (table <c>audit_log</c>).
/// <see cref="Hash"/> is SHA-256 over <see cref="AuditHash"/>'s canonical encoding of every other
/// field, including <see cref="PreviousHash"/>, so editing or removing any row breaks the chain.
/// </summary>
public sealed record AuditEntry
{
    public long Sequence { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Actor { get; init; }
    public ChangeSource Source { get; init; }

    /// <summary>
    /// The resource's kind; null for an entry about a bootstrap token (action Issue or Revoke),
    /// whose <see cref="Namespace"/> and <see cref="Name"/> are the token's scope namespace and name,
    /// and for a fleet action (Start, Stop, Restart, Scale, Deploy, SetTraffic: <see cref="FleetAuditLog"/>), whose
    /// <see cref="Name"/> is the instance or the service/version it acted on.
    /// </summary>
    public ResourceKind? Kind { get; init; }

    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public ChangeAction Action { get; init; }
    public long? VersionBefore { get; init; }
    public long? VersionAfter { get; init; }

    /// <summary>The resource's MeshworkJson before the change; null for a create.</summary>
    public string? BeforeJson { get; init; }

    /// <summary>The resource's MeshworkJson after the change; null for a delete.</summary>
    public string? AfterJson { get; init; }

    /// <summary>Where the change came from beyond its source (<see cref="ChangeActor.Reason"/>); null when nothing was given.</summary>
    public string? Reason { get; init; }

    public required string PreviousHash { get; init; }
    public required string Hash { get; init; }

    /// <summary>
    /// HMAC of <see cref="Hash"/> under the audit seal key (<see cref="AuditSealer"/>); null when the
    /// row was written without a key. Not part of the hash: it anchors the hash from outside.
    /// </summary>
    public string? Seal { get; init; }

    /// <summary>The resource the entry is about; null for a bootstrap token or fleet entry.</summary>
    public ResourceKey? Key => Kind is { } kind ? new ResourceKey(kind, Namespace, Name) : null;

    /// <summary>
    /// What the entry is about, for people: "HttpRoute/default/reviews", "BootstrapToken/shop/orders-join"
    /// or, for a fleet action, "Fleet/default/catalog-v2-1" (an instance) or "Fleet/default/catalog/v2" (a workload).
    /// </summary>
    public string Subject => Key?.ToString() ?? $"{SubjectKind}/{Namespace}/{Name}";

    /// <summary>The resource kind, or "BootstrapToken" / "Fleet" for entries about no resource.</summary>
    public string SubjectKind => Kind?.ToString() ?? (Action is ChangeAction.Issue or ChangeAction.Revoke ? BootstrapTokenSubject : FleetSubject);

    public const string BootstrapTokenSubject = "BootstrapToken";
    public const string FleetSubject = "Fleet";
}
