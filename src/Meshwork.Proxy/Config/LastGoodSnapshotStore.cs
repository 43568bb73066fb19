using Meshwork.Protocol.Snapshots;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.Config;

/// <summary>
/// The last snapshot the proxy accepted, kept on disk in the file form, so a proxy restarted while
/// its control plane is away starts serving what it served before. Written atomically (temp + rename).
/// </summary>
public sealed class LastGoodSnapshotStore(IOptions<ProxyOptions> options)
{
    public const string FileName = "last-good-snapshot.json";

    public string FilePath => Path.Combine(options.Value.StateDirectory, FileName);

    public void Save(ProxySnapshot snapshot)
    {
        Directory.CreateDirectory(options.Value.StateDirectory);
        var temp = FilePath + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(temp, SnapshotMapper.ToJson(snapshot));
        File.Move(temp, FilePath, overwrite: true);
    }

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
}
