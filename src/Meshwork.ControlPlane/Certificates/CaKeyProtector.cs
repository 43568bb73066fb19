using System.Security.Cryptography;

namespace Meshwork.ControlPlane.Certificates;

/// <summary>
/// Encrypts the CA private key at rest with AES-256-GCM (layout: nonce 12 | tag 16 | ciphertext),
/// so a database dump alone does not give away the mesh's root key.
/// </summary>
public sealed class CaKeyProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] key;

    public CaKeyProtector(string? base64Key)
    {
        if (string.IsNullOrWhiteSpace(base64Key))
            throw new InvalidOperationException(
                "ControlPlane:CaKeyEncryptionKey is not set: give base64 of 32 random bytes (e.g. `openssl rand -base64 32`).");
        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(base64Key.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("ControlPlane:CaKeyEncryptionKey must be base64 of 32 random bytes.");
        }
        if (decoded.Length != 32)
            throw new InvalidOperationException($"ControlPlane:CaKeyEncryptionKey must decode to 32 bytes, not {decoded.Length}.");
        key = decoded;
    }

    public byte[] Protect(byte[] plaintext)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize));
        return output;
    }

    /// <summary>Throws <see cref="CryptographicException"/> when the key is wrong or the data was altered.</summary>
    public byte[] Unprotect(byte[] protectedData)
    {
        if (protectedData.Length < NonceSize + TagSize)
            throw new CryptographicException("Encrypted CA key is truncated.");
        var plaintext = new byte[protectedData.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(protectedData.AsSpan(0, NonceSize), protectedData.AsSpan(NonceSize + TagSize),
            protectedData.AsSpan(NonceSize, TagSize), plaintext);
        return plaintext;
    }
}
