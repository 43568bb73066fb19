using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;
using Meshwork.Store.Configurations;
using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Meshwork.Store;

/// <summary>
/// The one way desired state changes. Each change runs in one transaction: take the store's
/// write lock, validate against the stored state, check versions, write the resource (bumping
/// its version), its revision and a hash-chained audit entry, queue a NOTIFY, commit. The NOTIFY
/// is issued inside the transaction, so PostgreSQL delivers it exactly when (and only if) the
/// change commits.
/// </summary>
public sealed class ResourceService(StoreSession session, TimeProvider time, AuditSealer? sealer = null)
{
    private readonly MeshworkDbContext db = session.Context;

    /// <summary>
    /// pg_advisory_xact_lock key ("mesh"). Every write holds it until commit, which serializes
    /// writers: the audit chain is appended to one row at a time (it can never fork) and
    /// validation sees the same state the write lands on. Config changes are rare; this costs nothing.
    /// </summary>
    internal const long WriteLockKey = 0x6D657368;

    public async Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken ct = default)
    {
        var row = await FindRow(key).AsNoTracking().SingleOrDefaultAsync(ct);
        return row is null ? null : ToStored(row);
    }

    public async Task<IReadOnlyList<StoredResource>> ListAsync(ResourceKind? kind = null, string? ns = null, CancellationToken ct = default)
    {
        var query = db.Resources.AsNoTracking();
        if (kind is { } k)
            query = query.Where(r => r.Kind == k);
        if (ns is not null)
            query = query.Where(r => r.Namespace == ns);
        var rows = await query.ToListAsync(ct);
        return rows
            .OrderBy(r => r.Kind).ThenBy(r => r.Namespace, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)
            .Select(ToStored)
            .ToList();
    }

    /// <summary>
    /// Every stored resource and the revision they make up (the audit sequence of the latest change,
    /// 0 for an empty store), read in one snapshot so the revision is exactly the state returned.
    /// </summary>
    public async Task<(IReadOnlyList<StoredResource> Resources, long Revision)> ListWithRevisionAsync(CancellationToken ct = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var revision = await db.AuditLog.AsNoTracking().MaxAsync(a => (long?)a.Sequence, ct) ?? 0;
        var resources = await ListAsync(ct: ct);
        await transaction.CommitAsync(ct);
        return (resources, revision);
    }

    public async Task<IReadOnlyList<ResourceRevision>> ListRevisionsAsync(ResourceKey key, CancellationToken ct = default)
    {
        var rows = await db.ResourceRevisions.AsNoTracking()
            .Where(r => r.Kind == key.Kind && r.Namespace == key.Namespace && r.Name == key.Name)
            .OrderBy(r => r.Version)
            .ToListAsync(ct);
        return rows.Select(r => new ResourceRevision(
            key, r.Version, r.Action, r.Spec is null ? null : WithVersion(MeshworkJson.Deserialize(r.Spec), r.Version),
            r.ChangedAt, r.ChangedBy, r.Source)).ToList();
    }

    /// <summary>Dry run of a batch against the stored state; writes nothing. Paths are prefixed "[i].".</summary>
    public ValidationResult Validate(IReadOnlyList<Resource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        return ValidateBatch(resources, LoadContextResources());
    }

    /// <summary>Dry run of one resource against the stored state; writes nothing. Paths are not prefixed.</summary>
    public ValidationResult Validate(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return ResourceValidator.Validate(resource, ContextFor([resource], LoadContextResources()));
    }

    /// <summary>Version 0 creates (conflict if it exists); version N updates only if the stored version is N.</summary>
    public async Task<ChangeResult> ApplyAsync(Resource resource, ChangeActor actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(actor);
        return await InWriteTransactionAsync(async () =>
        {
            var validation = ResourceValidator.Validate(resource, ContextFor([resource], await LoadContextResourcesAsync(ct)));
            if (!validation.IsValid)
                return (new ChangeResult.Invalid(validation), null);
            var planned = await PlanUpsertAsync(resource, ChangeAction.Update, ct);
            return planned.Outcome is { } failed ? (failed, null) : (null, new Plan([planned.Change!], validation.Warnings.ToList()));
        }, actor, ct);
    }

    /// <summary>All or nothing: the first invalid resource or stale version rejects the whole batch.</summary>
    public async Task<ChangeResult> ApplyManyAsync(IReadOnlyList<Resource> resources, ChangeActor actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(actor);
        if (resources.Count == 0)
            return new ChangeResult.Applied([], []);
        return await InWriteTransactionAsync(async () =>
        {
            var validation = ValidateBatch(resources, await LoadContextResourcesAsync(ct));
            if (!validation.IsValid)
                return (new ChangeResult.Invalid(validation), null);
            var changes = new List<PendingChange>();
            foreach (var resource in resources)
            {
                var planned = await PlanUpsertAsync(resource, ChangeAction.Update, ct);
                if (planned.Outcome is { } failed)
                    return (failed, null);
                changes.Add(planned.Change!);
            }
            return (null, new Plan(changes, validation.Warnings.ToList()));
        }, actor, ct);
    }

    public async Task<ChangeResult> DeleteAsync(ResourceKey key, long expectedVersion, ChangeActor actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return await InWriteTransactionAsync(async () =>
        {
            var row = await FindRow(key).SingleOrDefaultAsync(ct);
            if (row is null)
                return (new ChangeResult.NotFound(key), null);
            if (row.Version != expectedVersion)
                return (new ChangeResult.Conflict(key, expectedVersion, row.Version), null);
            var before = ToResource(row);
            // The tombstone takes the next version, so a re-created resource continues the sequence.
            var change = new PendingChange(key, ChangeAction.Delete, row, before, WithVersion(before, row.Version + 1), Deleted: true);
            return (null, new Plan([change], []));
        }, actor, ct);
    }

    /// <summary>
    /// Writes the content of an earlier version as a new version (audited as Revert). A deleted
    /// resource is restored the same way: its current version is then the delete's tombstone.
    /// </summary>
    public async Task<ChangeResult> RevertAsync(ResourceKey key, long toVersion, long expectedCurrentVersion, ChangeActor actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return await InWriteTransactionAsync(async () =>
        {
            var current = await FindRow(key).AsNoTracking().Select(r => (long?)r.Version).SingleOrDefaultAsync(ct);
            var deleted = current is null;
            current ??= await db.ResourceRevisions.AsNoTracking()
                .Where(r => r.Kind == key.Kind && r.Namespace == key.Namespace && r.Name == key.Name)
                .MaxAsync(r => (long?)r.Version, ct);
            if (current is null)
                return (new ChangeResult.NotFound(key), null);
            if (current != expectedCurrentVersion)
                return (new ChangeResult.Conflict(key, expectedCurrentVersion, current.Value), null);
            var revision = await db.ResourceRevisions.AsNoTracking()
                .Where(r => r.Kind == key.Kind && r.Namespace == key.Namespace && r.Name == key.Name && r.Version == toVersion)
                .SingleOrDefaultAsync(ct);
            if (revision?.Spec is null)
            {
                var reason = revision is null ? "does not exist" : "is a deletion and has no content to revert to";
                return (new ChangeResult.Invalid(new ValidationResult([
                    new ValidationIssue("metadata.version", $"version {toVersion} of {key} {reason}")])), null);
            }
            // A restore is a create (version 0) that continues after the tombstone.
            var target = WithVersion(MeshworkJson.Deserialize(revision.Spec), deleted ? 0 : expectedCurrentVersion);
            var validation = ResourceValidator.Validate(target, ContextFor([target], await LoadContextResourcesAsync(ct)));
            if (!validation.IsValid)
                return (new ChangeResult.Invalid(validation), null);
            var planned = await PlanUpsertAsync(target, ChangeAction.Revert, ct);
            return planned.Outcome is { } failed ? (failed, null) : (null, new Plan([planned.Change!], validation.Warnings.ToList()));
        }, actor, ct);
    }

    private sealed record PendingChange(ResourceKey Key, ChangeAction Action, ResourceRow? Row, Resource? Before, Resource After, bool Deleted = false);

    private sealed record Plan(IReadOnlyList<PendingChange> Changes, IReadOnlyList<ValidationIssue> Warnings);

    private sealed record Planned(ChangeResult? Outcome, PendingChange? Change);

    /// <summary>Checks the version a create/update/revert carries against the stored row (read under the write lock).</summary>
    private async Task<Planned> PlanUpsertAsync(Resource resource, ChangeAction updateAction, CancellationToken ct)
    {
        var key = resource.Key;
        var expected = resource.Metadata.Version;
        var row = await FindRow(key).SingleOrDefaultAsync(ct);
        if (row is null)
        {
            if (expected != 0)
                return new Planned(new ChangeResult.NotFound(key), null);
            var lastVersion = await db.ResourceRevisions
                .Where(r => r.Kind == key.Kind && r.Namespace == key.Namespace && r.Name == key.Name)
                .MaxAsync(r => (long?)r.Version, ct) ?? 0;
            var action = updateAction == ChangeAction.Revert ? ChangeAction.Revert : ChangeAction.Create;
            return new Planned(null, new PendingChange(key, action, null, null, WithVersion(resource, lastVersion + 1)));
        }
        if (row.Version != expected)
            return new Planned(new ChangeResult.Conflict(key, expected, row.Version), null);
        return new Planned(null, new PendingChange(key, updateAction, row, ToResource(row), WithVersion(resource, row.Version + 1)));
    }

    /// <summary>
    /// Runs <paramref name="plan"/> and the write under the write lock in one transaction. When the
    /// caller already opened a transaction on the context, the change joins it: it (and its NOTIFY)
    /// becomes visible only when the caller commits, and is discarded if the caller rolls back.
    /// </summary>
    private async Task<ChangeResult> InWriteTransactionAsync(
        Func<Task<(ChangeResult? Rejected, Plan? Plan)>> plan, ChangeActor actor, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var ownsTransaction = db.Database.CurrentTransaction is null;
        try
        {
            await using var transaction = ownsTransaction ? await db.Database.BeginTransactionAsync(ct) : null;
            await AuditChainWriter.LockAsync(db, ct);
            var (rejected, accepted) = await plan();
            if (rejected is null && await BrokenDependentsAsync(accepted!, ct) is { IsValid: false } broken)
                rejected = new ChangeResult.Invalid(broken);
            if (rejected is not null)
                return rejected; // nothing was written; disposing an owned transaction rolls it back
            var applied = await WriteAsync(accepted!, actor, ct);
            if (transaction is not null)
                await transaction.CommitAsync(ct);
            return applied;
        }
        catch (DbUpdateConcurrencyException) when (ownsTransaction)
        {
            // Only a writer bypassing ResourceService (and its lock) can get here; still never a lost update.
            return await ConflictAfterRaceAsync(ct);
        }
        catch (DbUpdateException ex) when (ownsTransaction && ex.InnerException is PostgresException
        {
            SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: ResourceRowEntityTypeConfiguration.KeyIndexName,
        })
        {
            // A concurrent create of the same key (again only possible past the lock).
            return await ConflictAfterRaceAsync(ct);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    private async Task<ChangeResult> ConflictAfterRaceAsync(CancellationToken ct)
    {
        var pending = db.ChangeTracker.Entries<ResourceRow>()
            .Select(e => (e.Entity, Expected: e.State == EntityState.Added ? 0 : e.Property(r => r.Version).OriginalValue))
            .FirstOrDefault();
        db.ChangeTracker.Clear();
        if (pending.Entity is null)
            throw new InvalidOperationException("a concurrent write conflicted with a change that touched no resource row");
        var key = new ResourceKey(pending.Entity.Kind, pending.Entity.Namespace, pending.Entity.Name);
        var current = await FindRow(key).AsNoTracking().Select(r => (long?)r.Version).SingleOrDefaultAsync(ct) ?? 0;
        return new ChangeResult.Conflict(key, pending.Expected, current);
    }

    private async Task<ChangeResult.Applied> WriteAsync(Plan plan, ChangeActor actor, CancellationToken ct)
    {
        var now = AuditHash.TruncateToMicroseconds(time.GetUtcNow());
        var chain = await AuditChainWriter.OpenAsync(db, sealer, ct);
        var stored = new List<StoredResource>();

        foreach (var change in plan.Changes)
        {
            var afterJson = change.Deleted ? null : MeshworkJson.Serialize(change.After);
            var version = change.After.Metadata.Version;
            if (change.Deleted)
                db.Resources.Remove(change.Row!);
            else if (change.Row is null)
                db.Resources.Add(new ResourceRow
                {
                    Kind = change.Key.Kind, Namespace = change.Key.Namespace, Name = change.Key.Name,
                    Version = version, Spec = afterJson!, UpdatedAt = now, UpdatedBy = actor.Name,
                });
            else
            {
                change.Row.Version = version;
                change.Row.Spec = afterJson!;
                change.Row.UpdatedAt = now;
                change.Row.UpdatedBy = actor.Name;
            }

            db.ResourceRevisions.Add(new ResourceRevisionRow
            {
                Kind = change.Key.Kind, Namespace = change.Key.Namespace, Name = change.Key.Name, Version = version,
                Action = change.Action, Spec = afterJson, ChangedAt = now, ChangedBy = actor.Name, Source = actor.Source,
            });

            chain.Append(new AuditEntry
            {
                At = now, Actor = actor.Name, Source = actor.Source, Reason = actor.Reason,
                Kind = change.Key.Kind, Namespace = change.Key.Namespace, Name = change.Key.Name, Action = change.Action,
                VersionBefore = change.Before?.Metadata.Version, VersionAfter = change.Deleted ? null : version,
                BeforeJson = change.Before is null ? null : MeshworkJson.Serialize(change.Before), AfterJson = afterJson,
                PreviousHash = "", Hash = "",
            });
            stored.Add(new StoredResource(change.After, now, actor.Name));
        }

        await db.SaveChangesAsync(ct);
        foreach (var change in plan.Changes)
        {
            var payload = ChangeNotification.Format(change.Key, change.After.Metadata.Version);
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({MeshworkDbContext.ChangesChannel}, {payload})", ct);
        }
        return new ChangeResult.Applied(stored, plan.Warnings) { Revision = chain.Sequence };
    }

    /// <summary>
    /// A change to services (a deleted service, a removed version) must not break the stored
    /// resources that refer to them. Each stored resource outside the change is validated against
    /// the services before and after; errors that only appear after are reported, located as
    /// "Kind/namespace/name.path" in the resource that would break.
    /// </summary>
    private async Task<ValidationResult> BrokenDependentsAsync(Plan plan, CancellationToken ct)
    {
        if (!plan.Changes.Any(c => c.Key.Kind == ResourceKind.Service))
            return ValidationResult.Valid;
        var stored = (await db.Resources.AsNoTracking().ToListAsync(ct)).Select(ToResource).ToList();
        var changedKeys = plan.Changes.Select(c => c.Key).ToHashSet();
        var before = ValidationContext.From(stored);
        var after = ValidationContext.From(stored
            .Where(r => !changedKeys.Contains(r.Key))
            .Concat(plan.Changes.Where(c => !c.Deleted).Select(c => c.After)));
        var issues = new List<ValidationIssue>();
        foreach (var dependent in stored.Where(r => r.Kind != ResourceKind.Service && !changedKeys.Contains(r.Key)))
        {
            var existing = ResourceValidator.Validate(dependent, before).Errors.ToHashSet();
            issues.AddRange(ResourceValidator.Validate(dependent, after).Errors
                .Where(issue => !existing.Contains(issue))
                .Select(issue => issue with
                {
                    Path = issue.Path.Length == 0 ? dependent.Key.ToString() : $"{dependent.Key}.{issue.Path}",
                    Message = $"{dependent.Key} would break: {issue.Message}",
                }));
        }
        return new ValidationResult(issues);
    }

    private static ValidationResult ValidateBatch(IReadOnlyList<Resource> resources, IReadOnlyList<Resource> stored)
    {
        var result = ResourceValidator.ValidateAll(resources, ContextFor(resources, stored));
        // The batch is written key by key; two entries for one key would make it ambiguous.
        // The validator reports duplicates itself; this guard keeps the write path safe regardless.
        if (result.IsValid)
        {
            var duplicates = resources
                .Select((r, i) => (r.Key, i))
                .GroupBy(x => x.Key)
                .Where(g => g.Count() > 1)
                .Select(g => new ValidationIssue($"[{g.Skip(1).First().i}].metadata.name", $"{g.Key} appears more than once in the batch"))
                .ToList();
            if (duplicates.Count > 0)
                return new ValidationResult([.. result.Issues, .. duplicates]);
        }
        return result;
    }

    /// <summary>
    /// Stored resources of the kinds the validator checks against, each replaced by the batch's
    /// resource of the same key: an update is not checked against its stored self, and a batch that
    /// moves a policy from one service to another is checked against the state it produces.
    /// </summary>
    private static ValidationContext ContextFor(IReadOnlyList<Resource> batch, IReadOnlyList<Resource> stored)
    {
        var batchKeys = batch.Where(r => r?.Metadata?.Name is not null).Select(r => r.Key).ToHashSet();
        return ValidationContext.From(stored.Where(r => !batchKeys.Contains(r.Key)).Concat(batch));
    }

    /// <summary>As an array, which EF Core translates to "kind = ANY(@kinds)".</summary>
    private static readonly ResourceKind[] ContextKinds = [.. ValidationContext.Kinds];

    private List<Resource> LoadContextResources() =>
        db.Resources.AsNoTracking().Where(r => ContextKinds.Contains(r.Kind)).ToList()
            .Select(ToResource).ToList();

    private async Task<List<Resource>> LoadContextResourcesAsync(CancellationToken ct) =>
        (await db.Resources.AsNoTracking().Where(r => ContextKinds.Contains(r.Kind)).ToListAsync(ct))
            .Select(ToResource).ToList();

    private IQueryable<ResourceRow> FindRow(ResourceKey key) =>
        db.Resources.Where(r => r.Kind == key.Kind && r.Namespace == key.Namespace && r.Name == key.Name);

    private static StoredResource ToStored(ResourceRow row) => new(ToResource(row), row.UpdatedAt, row.UpdatedBy);

    /// <summary>The version column is the truth; the copy inside the JSON is overwritten with it.</summary>
    private static Resource ToResource(ResourceRow row) => WithVersion(MeshworkJson.Deserialize(row.Spec), row.Version);

    private static Resource WithVersion(Resource resource, long version) =>
        resource with { Metadata = resource.Metadata with { Version = version } };
}
