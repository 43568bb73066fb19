using Npgsql;

namespace Meshwork.Store.Registry;

/// <summary>
/// Named leases in PostgreSQL (table <c>control_plane_leases</c>): one holder at a time, taken
/// when free or expired, kept by renewing before it expires. Expiry is judged by the database's
/// clock, so replicas whose clocks differ never both hold a lease.
/// </summary>
public sealed class LeaseStore(NpgsqlDataSource database)
{
    /// <summary>The lease under which a control plane replica does the mesh's once-only work.</summary>
    public const string Leader = "control-plane-leader";

    /// <summary>Takes the lease, or renews it for its current holder, for <paramref name="duration"/> from now; false when another holds it.</summary>
    public async Task<bool> TryAcquireAsync(string name, string holder, TimeSpan duration, CancellationToken ct)
    {
        await using var command = database.CreateCommand("""
            INSERT INTO control_plane_leases (name, holder, acquired_at, expires_at) VALUES (@name, @holder, now(), now() + @duration)
            ON CONFLICT (name) DO UPDATE SET
                acquired_at = CASE WHEN control_plane_leases.holder = excluded.holder AND control_plane_leases.expires_at >= now()
                                   THEN control_plane_leases.acquired_at ELSE now() END,
                holder = excluded.holder, expires_at = excluded.expires_at
            WHERE control_plane_leases.holder = excluded.holder OR control_plane_leases.expires_at < now()
            RETURNING holder
            """);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("holder", holder);
        command.Parameters.AddWithValue("duration", duration);
        return await command.ExecuteScalarAsync(ct) is string;
    }

    /// <summary>Gives the lease up (a replica stopping on purpose), so another takes it at once.</summary>
    public async Task ReleaseAsync(string name, string holder, CancellationToken ct)
    {
        await using var command = database.CreateCommand("DELETE FROM control_plane_leases WHERE name = @name AND holder = @holder");
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("holder", holder);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The current holder, or null when the lease is free or expired.</summary>
    public async Task<string?> HolderAsync(string name, CancellationToken ct)
    {
        await using var command = database.CreateCommand("SELECT holder FROM control_plane_leases WHERE name = @name AND expires_at >= now()");
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteScalarAsync(ct) as string;
    }
}
