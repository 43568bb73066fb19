using Meshwork.Protocol.Snapshots;
using Meshwork.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.Config;

/// <summary>
/// The last snapshot the proxy accepted, kept on disk in the file form, so a proxy restarted while
/// its control plane is away starts serving what it served before; and next to it the proxy's own
/// private key (Security/ProxyKey), without which the snapshot's certificate is useless. Both are
/// written atomically (temp + rename) and owner-only (0600), in the owner-only state folder
/// (Meshwork.ServiceDefaults' PrivateDirectory): a snapshot may carry a private key as well.
/// </summary>
public sealed class LastGoodSnapshotStore(IOptions<ProxyOptions> options)
{
    public const string FileName = "last-good-snapshot.json";
    public const string KeyFileName = "proxy-key.pem";

    public string FilePath => Path.Combine(options.Value.StateDirectory, FileName);

    public string KeyFilePath => Path.Combine(options.Value.StateDirectory, KeyFileName);

    public void SaveKeyPem(string pem) => WriteAtomically(KeyFilePath, pem);

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

    public void Save(ProxySnapshot snapshot) => WriteAtomically(FilePath, SnapshotMapper.ToJson(snapshot));

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
    private void WriteAtomically(string path, string text)
    {
        // Program checked the folder at start; this recreates it (owner-only) if it was removed since.
        PrivateDirectory.Ensure(options.Value.StateDirectory, $"{ProxyOptions.Section}:{nameof(ProxyOptions.StateDirectory)}");
        var temp = path + "." + Environment.ProcessId + ".tmp";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        // Created owner-only, so nothing is readable by others, not even between create and chmod;
        // the chmod covers a leftover temp file that already existed with a wider mode.
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = PrivateDirectory.OwnerOnlyFile;
        using (var writer = new StreamWriter(temp, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), create))
            writer.Write(text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, PrivateDirectory.OwnerOnlyFile);
        File.Move(temp, path, overwrite: true);
    }
}
