using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Portal.Identity;

/// <summary>
/// Token signing and encryption certificates for the OIDC server. Generated on first start and
/// persisted under the portal's data folder (so tokens survive restarts), never committed.
/// Production deployments mount their own certificates at the same paths.
/// </summary>
internal static class SigningKeys
{
    public static X509Certificate2 LoadOrCreate(string directory, string name, X509KeyUsageFlags usage)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name + ".pfx");
        if (File.Exists(path))
            return X509CertificateLoader.LoadPkcs12FromFile(path, password: null, X509KeyStorageFlags.EphemeralKeySet);

        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=Meshwork portal {name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(2));
        var pfx = created.Export(X509ContentType.Pfx);
        // Write to a temp file and move, so a crash never leaves half a key behind.
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, pfx);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
        return X509CertificateLoader.LoadPkcs12(pfx, password: null, X509KeyStorageFlags.EphemeralKeySet);
    }
}
