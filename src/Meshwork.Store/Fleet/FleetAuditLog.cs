using Microsoft.EntityFrameworkCore;
using System.Text.Json;

namespace Meshwork.Store;

/// <summary>
/// Audits what an operator does to the running fleet from the portal (start, stop, restart, scale,
/// deploy, the demo traffic's rate and mix): processes are not desired state, so there is no resource to version, but each action
/// still gets an entry in the same hash-chained log as resource changes and bootstrap tokens
/// (no resource kind; <c>Namespace</c>/<c>Name</c> say which workload or instance; <c>after</c> holds
/// the details), written under the store's write lock so the chain never forks.
/// </summary>
public sealed class FleetAuditLog(StoreSession session, TimeProvider time, AuditSealer? sealer = null)
{
    private static readonly JsonSerializerOptions AuditJson = new(JsonSerializerDefaults.Web);
    private static readonly HashSet<ChangeAction> FleetActions =
        [ChangeAction.Start, ChangeAction.Stop, ChangeAction.Restart, ChangeAction.Scale, ChangeAction.Deploy, ChangeAction.SetTraffic];

    private readonly MeshworkDbContext db = session.Context;

    /// <param name="details">Serialized as the entry's <c>after</c> JSON (camelCase); never put secrets in it.</param>
    public async Task RecordAsync(ChangeAction action, string ns, string name, object details, ChangeActor actor, CancellationToken ct = default)
    {
        if (!FleetActions.Contains(action))
            throw new ArgumentOutOfRangeException(nameof(action), action, "not a fleet action (Start, Stop, Restart, Scale, Deploy, SetTraffic)");
        ArgumentException.ThrowIfNullOrWhiteSpace(ns);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor.Name);
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        await AuditChainWriter.LockAsync(db, ct);
        var chain = await AuditChainWriter.OpenAsync(db, sealer, ct);
        chain.Append(new AuditEntry
        {
            At = AuditHash.TruncateToMicroseconds(time.GetUtcNow()),
            Actor = actor.Name, Source = actor.Source, Reason = actor.Reason,
            Kind = null, Namespace = ns, Name = name, Action = action,
            BeforeJson = null, AfterJson = JsonSerializer.Serialize(details, AuditJson),
            PreviousHash = "", Hash = "",
        });
        await db.SaveChangesAsync(ct);
        if (transaction is not null)
            await transaction.CommitAsync(ct);
    }
}
