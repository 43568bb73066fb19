using Npgsql;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>
/// The active mesh roots as the control plane stored them, read straight from certificate_authorities
/// (the tests check the row itself: the certificate and the key as encrypted at rest).
/// </summary>
public static class StoredRoots
{
    public sealed record StoredRoot(string CertificatePem, byte[] EncryptedPrivateKey);

    public static async Task<IReadOnlyList<StoredRoot>> ActiveAsync(string connectionString)
    {
        await using var database = NpgsqlDataSource.Create(connectionString);
        await using var command = database.CreateCommand("SELECT certificate_pem, encrypted_private_key FROM certificate_authorities WHERE is_active");
        await using var reader = await command.ExecuteReaderAsync();
        var roots = new List<StoredRoot>();
        while (await reader.ReadAsync())
            roots.Add(new StoredRoot(reader.GetString(0), reader.GetFieldValue<byte[]>(1)));
        return roots;
    }
}
