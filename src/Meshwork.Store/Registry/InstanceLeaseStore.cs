using Meshwork.Store.Entities;
using Npgsql;
using NpgsqlTypes;

namespace Meshwork.Store.Registry;

/// <summary>
/// The shared service registry in PostgreSQL: instances held by leases that the replica holding
/// each proxy's stream renews. Every statement judges leases by the database's clock, never a
/// replica's, so replicas whose clocks differ agree on what has expired. Changes that callers
/// must see (joins, changes, leaves) NOTIFY <see cref="MeshworkDbContext.RegistryChannel"/> in
/// the same transaction; plain renewals do not.
/// </summary>
public sealed class InstanceLeaseStore(NpgsqlDataSource database)
{
    private const string Columns = "proxy_id, service, namespace, version, address, health, labels::text, gateway, replica_id, connection_id, registered_at, lease_expires_at";

    public async Task<IReadOnlyList<RegistryInstanceRow>> ListAsync(CancellationToken ct)
    {
        await using var command = database.CreateCommand($"SELECT {Columns} FROM registry_instances ORDER BY proxy_id");
        return await ReadRowsAsync(command, ct);
    }

    /// <summary>
    /// Writes the instances with a lease of <paramref name="lease"/> from now. <paramref name="takeOver"/>:
    /// the rows replace whatever is stored (a proxy's Hello is the newest truth about it, wherever it
    /// connected before); otherwise a row is only written where it is still this stream's or its lease
    /// ran out, so a replica that has not yet noticed its stream died cannot undo a newer one's row.
    /// </summary>
    public async Task UpsertAsync(IReadOnlyCollection<RegistryInstanceRow> instances, TimeSpan lease, bool takeOver, bool notify,
        string replicaId, CancellationToken ct)
    {
        if (instances.Count == 0) return;
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var condition = takeOver ? "" : "WHERE registry_instances.connection_id = excluded.connection_id OR registry_instances.lease_expires_at < now()";
        await using (var upsert = new NpgsqlCommand($"""
            INSERT INTO registry_instances (proxy_id, service, namespace, version, address, health, labels, gateway, replica_id, connection_id, registered_at, lease_expires_at)
            SELECT p, s, n, v, a, h, l::jsonb, g, @replica, c, now(), now() + @lease
            FROM unnest(@ids, @services, @namespaces, @versions, @addresses, @healths, @labels, @gateways, @connections) AS t(p, s, n, v, a, h, l, g, c)
            ON CONFLICT (proxy_id) DO UPDATE SET
                service = excluded.service, namespace = excluded.namespace, version = excluded.version, address = excluded.address,
                health = excluded.health, labels = excluded.labels, gateway = excluded.gateway, replica_id = excluded.replica_id,
                registered_at = CASE WHEN registry_instances.connection_id = excluded.connection_id THEN registry_instances.registered_at ELSE now() END,
                connection_id = excluded.connection_id, lease_expires_at = excluded.lease_expires_at
            {condition}
            """, connection, transaction))
        {
            upsert.Parameters.AddWithValue("replica", replicaId);
            upsert.Parameters.AddWithValue("lease", lease);
            AddArray(upsert, "ids", instances.Select(i => i.ProxyId));
            AddArray(upsert, "services", instances.Select(i => i.Service));
            AddArray(upsert, "namespaces", instances.Select(i => i.Namespace));
            AddArray(upsert, "versions", instances.Select(i => i.Version));
            AddArray(upsert, "addresses", instances.Select(i => i.Address));
            AddArray(upsert, "healths", instances.Select(i => i.Health));
            AddArray(upsert, "labels", instances.Select(i => i.Labels));
            upsert.Parameters.AddWithValue("gateways", instances.Select(i => i.Gateway).ToArray());
            upsert.Parameters.AddWithValue("connections", instances.Select(i => i.ConnectionId).ToArray());
            await upsert.ExecuteNonQueryAsync(ct);
        }
        if (notify) await NotifyAsync(connection, transaction, replicaId, ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>Removes instances whose proxy left on purpose, each only while the row is still that stream's.</summary>
    public async Task DeleteAsync(IReadOnlyCollection<(string ProxyId, Guid ConnectionId)> instances, string replicaId, CancellationToken ct)
    {
        if (instances.Count == 0) return;
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var delete = new NpgsqlCommand("""
            DELETE FROM registry_instances r USING unnest(@ids, @connections) AS t(p, c)
            WHERE r.proxy_id = t.p AND r.connection_id = t.c
            """, connection, transaction))
        {
            AddArray(delete, "ids", instances.Select(i => i.ProxyId));
            delete.Parameters.AddWithValue("connections", instances.Select(i => i.ConnectionId).ToArray());
            await delete.ExecuteNonQueryAsync(ct);
        }
        await NotifyAsync(connection, transaction, replicaId, ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>Removes every instance whose lease ran out (the leader's work); returns what it removed.</summary>
    public async Task<IReadOnlyList<RegistryInstanceRow>> ExpireAsync(string replicaId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        IReadOnlyList<RegistryInstanceRow> removed;
        await using (var expire = new NpgsqlCommand($"DELETE FROM registry_instances WHERE lease_expires_at < now() RETURNING {Columns}", connection, transaction))
            removed = await ReadRowsAsync(expire, ct);
        if (removed.Count > 0) await NotifyAsync(connection, transaction, replicaId, ct);
        await transaction.CommitAsync(ct);
        return removed;
    }

    private static async Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string replicaId, CancellationToken ct)
    {
        await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection, transaction);
        notify.Parameters.AddWithValue("channel", MeshworkDbContext.RegistryChannel);
        notify.Parameters.AddWithValue("payload", replicaId);
        await notify.ExecuteNonQueryAsync(ct);
    }

    private static void AddArray(NpgsqlCommand command, string name, IEnumerable<string> values) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() });

    private static async Task<IReadOnlyList<RegistryInstanceRow>> ReadRowsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var rows = new List<RegistryInstanceRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new RegistryInstanceRow
            {
                ProxyId = reader.GetString(0),
                Service = reader.GetString(1),
                Namespace = reader.GetString(2),
                Version = reader.GetString(3),
                Address = reader.GetString(4),
                Health = reader.GetString(5),
                Labels = reader.GetString(6),
                Gateway = reader.GetBoolean(7),
                ReplicaId = reader.GetString(8),
                ConnectionId = reader.GetGuid(9),
                RegisteredAt = reader.GetFieldValue<DateTimeOffset>(10),
                LeaseExpiresAt = reader.GetFieldValue<DateTimeOffset>(11),
            });
        }
        return rows;
    }
}
