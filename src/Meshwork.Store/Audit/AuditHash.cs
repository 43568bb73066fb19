using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Meshwork.Store;

/// <summary>
/// The audit chain's hash: SHA-256 (lower-case hex) over a canonical, length-prefixed encoding of
/// every field of a row plus the previous row's hash. Length prefixes make the encoding
/// unambiguous (no field can absorb its neighbour); null is encoded distinctly from "".
/// Changing this encoding breaks every existing chain, so it is versioned. Fields added later
/// (the reason) are appended only when present, so every row written before them hashes as it did.
/// </summary>
public static class AuditHash
{
    /// <summary>The previous hash of the first row.</summary>
    public static readonly string Genesis = new('0', 64);

    private const string EncodingVersion = "meshwork-audit-v1";

    public static string Compute(AuditEntry entry)
    {
        var text = new StringBuilder();
        Append(text, EncodingVersion);
        Append(text, entry.Sequence.ToString(CultureInfo.InvariantCulture));
        Append(text, FormatTime(entry.At));
        Append(text, entry.Actor);
        Append(text, entry.Source.ToString());
        Append(text, entry.Kind?.ToString());
        Append(text, entry.Namespace);
        Append(text, entry.Name);
        Append(text, entry.Action.ToString());
        Append(text, entry.VersionBefore?.ToString(CultureInfo.InvariantCulture));
        Append(text, entry.VersionAfter?.ToString(CultureInfo.InvariantCulture));
        Append(text, entry.BeforeJson);
        Append(text, entry.AfterJson);
        Append(text, entry.PreviousHash);
        if (entry.Reason is not null)
            Append(text, entry.Reason);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// PostgreSQL keeps microseconds; a timestamp is truncated to them before it is hashed or
    /// stored so the value read back hashes the same.
    /// </summary>
    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % 10, TimeSpan.Zero);
    }

    private static string FormatTime(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static void Append(StringBuilder text, string? field)
    {
        if (field is null)
        {
            text.Append("-\n");
            return;
        }
        text.Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append('\n');
    }
}
