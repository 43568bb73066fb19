using Meshwork.Protocol.Snapshots;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.Config;

/// <summary>
/// The last snapshot the proxy accepted, kept on disk in the file form, so a proxy restarted while
/// its control plane is away starts serving what it served before; and next to it the proxy's own
/// private key (Security/ProxyKey), without which the snapshot's certificate is useless. Both are
/// written atomically (temp + rename); the key file is readable by its owner only.
/// </summary>
public sealed class LastGoodSnapshotStore(IOptions<ProxyOptions> options)
{
    public const string FileName = "last-good-snapshot.json";
    public const string KeyFileName = "proxy-key.pem";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string FilePath => Path.Combine(options.Value.StateDirectory, FileName);

    public string KeyFilePath => Path.Combine(options.Value.StateDirectory, KeyFileName);

    public void SaveKeyPem(string pem) => WriteAtomically(KeyFilePath, pem, ownerOnly: true);

    public string? LoadKeyPem()
    {
        try
        {
            return File.Exists(KeyFilePath) ? File.ReadAllText(KeyFilePath) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Save(ProxySnapshot snapshot) => WriteAtomically(FilePath, SnapshotMapper.ToJson(snapshot), ownerOnly: false);

    public ProxySnapshot? Load() => Load(FilePath);

    public static ProxySnapshot? Load(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return SnapshotMapper.FromJson(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is Google.Protobuf.InvalidProtocolBufferException or Google.Protobuf.InvalidJsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>Temp file + rename: a reader (or a restart after a crash) sees the old file or the new one, never half of one.</summary>
    private void WriteAtomically(string path, string text, bool ownerOnly)
    {
        Directory.CreateDirectory(options.Value.StateDirectory);
        var temp = path + "." + Environment.ProcessId + ".tmp";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        // Created owner-only, so a key is never readable by others, not even between create and chmod;
        // the chmod covers a leftover temp file that already existed with a wider mode.
        if (ownerOnly && !OperatingSystem.IsWindows()) create.UnixCreateMode = OwnerOnly;
        using (var writer = new StreamWriter(temp, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), create))
            writer.Write(text);
        if (ownerOnly && !OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, OwnerOnly);
        File.Move(temp, path, overwrite: true);
    }
}
