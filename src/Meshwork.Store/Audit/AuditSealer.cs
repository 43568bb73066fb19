using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Meshwork.Store;

/// <summary>
/// Anchors the audit chain outside the database: each row's hash is sealed with HMAC-SHA256 under a
/// key the database never holds (setting <c>Audit:SealKey</c>). The hash chain alone shows an edit
/// only to someone who cannot recompute it; a database owner can rewrite a row and re-hash every row
/// after it. Without the key they cannot re-seal, so verification with the key shows the rewrite.
/// </summary>
public sealed class AuditSealer
{
    /// <summary>The shortest key accepted (characters): 256 bits of base64 or hex is at least 43.</summary>
    public const int MinimumKeyLength = 32;

    public const string KeySetting = "Audit:SealKey";

    private const string EncodingVersion = "meshwork-audit-seal-v1";

    private readonly byte[]? key;

    private AuditSealer(byte[]? key) => this.key = key;

    /// <summary>No key configured: rows are written unsealed and seals are not checked.</summary>
    public static readonly AuditSealer Disabled = new(null);

    public bool IsEnabled => key is not null;

    /// <summary>A sealer over <paramref name="secret"/>; null or empty disables sealing.</summary>
    /// <exception cref="ArgumentException">The secret is shorter than <see cref="MinimumKeyLength"/>.</exception>
    public static AuditSealer FromSecret(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
            return Disabled;
        if (secret.Length < MinimumKeyLength)
            throw new ArgumentException($"{KeySetting} must be at least {MinimumKeyLength} characters (for example `openssl rand -base64 32`); it is {secret.Length}.", nameof(secret));
        return new AuditSealer(Encoding.UTF8.GetBytes(secret));
    }

    /// <summary>The seal of a row whose <see cref="AuditEntry.Hash"/> is set: lower-case hex HMAC-SHA256.</summary>
    public string Seal(AuditEntry entry)
    {
        if (key is null)
            throw new InvalidOperationException("no audit seal key is configured");
        var text = $"{EncodingVersion}\n{entry.Sequence.ToString(CultureInfo.InvariantCulture)}\n{entry.Hash}";
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text)));
    }

    public bool IsSealedCorrectly(AuditEntry entry) =>
        entry.Seal is { } seal && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(seal), Encoding.ASCII.GetBytes(Seal(entry)));
}
