using System.Runtime.CompilerServices;
using Meshwork.Protocol.Snapshots;

namespace Meshwork.Proxy.Config;

/// <summary>
/// The standalone config source: a snapshot file in the proto3 JSON form, re-read whenever its
/// content changes (polled: works on every file system, including bind mounts and atomic renames).
/// A file that does not parse is logged and skipped; the proxy keeps serving.
/// </summary>
public sealed class FileSnapshotSource(string path, ILogger<FileSnapshotSource> logger, TimeSpan? pollInterval = null) : ISnapshotSource
{
    private const int FullReadEvery = 25;
    private readonly TimeSpan interval = pollInterval ?? TimeSpan.FromMilliseconds(200);

    public string Name => "file:" + path;

    public async IAsyncEnumerable<ProxySnapshot> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? lastText = null;
        (DateTime, long)? lastStamp = null;
        var polls = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string? text = null;
            try
            {
                // Read only when the file's time or length changed (or every FullReadEvery polls, in case a
                // rewrite kept both): an idle proxy should not re-read and compare its snapshot five times a second.
                var info = new FileInfo(path);
                (DateTime, long)? stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : null;
                if (stamp is not null && (stamp != lastStamp || ++polls % FullReadEvery == 0))
                {
                    text = await File.ReadAllTextAsync(path, cancellationToken);
                    lastStamp = stamp;
                }
            }
            catch (IOException)
            {
                // being replaced right now: read it on the next tick
            }
            if (text is not null && text != lastText)
            {
                lastText = text;
                ProxySnapshot? snapshot = null;
                try
                {
                    snapshot = SnapshotMapper.FromJson(text);
                }
                catch (Exception ex) when (ex is Google.Protobuf.InvalidProtocolBufferException or Google.Protobuf.InvalidJsonException)
                {
                    logger.LogError("Snapshot file {Path} does not parse, keeping the current snapshot: {Error}", path, ex.Message);
                }
                if (snapshot is not null)
                    yield return snapshot;
            }
            try
            {
                await Task.Delay(interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    public ValueTask ReportAsync(SnapshotApplyResult result, CancellationToken cancellationToken)
    {
        if (result.Accepted)
            logger.LogInformation("Applied snapshot v{Version} {Hash} from {Path}", result.Version, result.Hash, path);
        else
            logger.LogError("Rejected snapshot v{Version} from {Path}; still serving v{Serving}: {Errors}", result.Version, path, result.ServingVersion, string.Join("; ", result.Errors));
        return ValueTask.CompletedTask;
    }
}
