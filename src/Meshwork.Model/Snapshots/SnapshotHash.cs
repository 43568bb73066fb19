using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Serialization;

namespace Meshwork.Model.Snapshots;

/// <summary>
/// The content hash of a snapshot: SHA-256 over its canonical JSON with Version and Hash blanked,
/// so two compilations of the same desired state hash the same whatever version they were given.
/// The compiler orders every list, so the text is deterministic.
/// </summary>
public static class SnapshotHash
{
    public static string Compute(ProxySnapshot snapshot)
    {
        var content = snapshot with { Version = 0, Hash = "" };
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(content, SnapshotJson.ProxySnapshot));
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    public static ProxySnapshot WithHash(ProxySnapshot snapshot) => snapshot with { Hash = Compute(snapshot) };

    public static bool Verify(ProxySnapshot snapshot) => string.Equals(snapshot.Hash, Compute(snapshot), StringComparison.Ordinal);
}
