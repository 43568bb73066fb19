using Meshwork.Store.Entities;
using Npgsql;

namespace Meshwork.Store.Registry;

/// <summary>
/// The workload certificate each proxy currently holds (public data only), shared by the control
/// plane replicas: a proxy that reconnects to another replica, or to a restarted one, is handed the
/// certificate it already serves instead of a new one, so its snapshot (and hash) stays the same.
/// </summary>
public sealed class WorkloadCertificateStore(NpgsqlDataSource database)
{
    public async Task<WorkloadCertificateRow?> GetAsync(string proxyId, CancellationToken ct)
    {
        await using var command = database.CreateCommand("""
            SELECT proxy_id, spiffe_id, certificate_pem, subject_public_key_info, not_before, not_after, issued_at
            FROM workload_certificates WHERE proxy_id = @proxy
            """);
        command.Parameters.AddWithValue("proxy", proxyId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new WorkloadCertificateRow
        {
            ProxyId = reader.GetString(0),
            SpiffeId = reader.GetString(1),
            CertificatePem = reader.GetString(2),
            SubjectPublicKeyInfo = reader.GetFieldValue<byte[]>(3),
            NotBefore = reader.GetFieldValue<DateTimeOffset>(4),
            NotAfter = reader.GetFieldValue<DateTimeOffset>(5),
            IssuedAt = reader.GetFieldValue<DateTimeOffset>(6),
        };
    }

    /// <summary>Stores the certificates, each replacing the proxy's previous one unless that one was issued later.</summary>
    public async Task SaveAsync(IReadOnlyCollection<WorkloadCertificateRow> certificates, CancellationToken ct)
    {
        if (certificates.Count == 0) return;
        await using var batch = database.CreateBatch();
        foreach (var certificate in certificates)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO workload_certificates (proxy_id, spiffe_id, certificate_pem, subject_public_key_info, not_before, not_after, issued_at)
                VALUES (@proxy, @spiffe, @pem, @spki, @notBefore, @notAfter, @issuedAt)
                ON CONFLICT (proxy_id) DO UPDATE SET spiffe_id = excluded.spiffe_id, certificate_pem = excluded.certificate_pem,
                    subject_public_key_info = excluded.subject_public_key_info, not_before = excluded.not_before,
                    not_after = excluded.not_after, issued_at = excluded.issued_at
                WHERE workload_certificates.issued_at <= excluded.issued_at
                """);
            command.Parameters.AddWithValue("proxy", certificate.ProxyId);
            command.Parameters.AddWithValue("spiffe", certificate.SpiffeId);
            command.Parameters.AddWithValue("pem", certificate.CertificatePem);
            command.Parameters.AddWithValue("spki", certificate.SubjectPublicKeyInfo);
            command.Parameters.AddWithValue("notBefore", certificate.NotBefore);
            command.Parameters.AddWithValue("notAfter", certificate.NotAfter);
            command.Parameters.AddWithValue("issuedAt", certificate.IssuedAt);
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    public async Task DeleteAsync(IReadOnlyCollection<string> proxyIds, CancellationToken ct)
    {
        if (proxyIds.Count == 0) return;
        await using var command = database.CreateCommand("DELETE FROM workload_certificates WHERE proxy_id = ANY(@proxies)");
        command.Parameters.AddWithValue("proxies", proxyIds.ToArray());
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Removes certificates that expired, and those of proxies no longer in the registry that were
    /// issued before <paramref name="olderThan"/> ago (a newer one may belong to a proxy whose
    /// registration is still being written). The leader's housekeeping; returns how many.
    /// </summary>
    public async Task<int> DeleteOrphansAsync(TimeSpan olderThan, CancellationToken ct)
    {
        await using var command = database.CreateCommand("""
            DELETE FROM workload_certificates c
            WHERE c.not_after < now()
               OR (c.issued_at < now() - @olderThan AND NOT EXISTS (SELECT 1 FROM registry_instances r WHERE r.proxy_id = c.proxy_id))
            """);
        command.Parameters.AddWithValue("olderThan", olderThan);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
