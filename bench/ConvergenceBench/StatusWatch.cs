using Meshwork.Protocol.Status;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConvergenceBench;

/// <summary>One control plane replica's status stream, folded as the portal folds it, until disposed.</summary>
internal sealed class StatusWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task watching;

    private StatusWatch(StatusStreamOptions options)
    {
        Fold = new StatusFold(options.Address);
        watching = StatusStream.WatchAsync(options, Fold, () => { }, NullLogger.Instance, stop.Token);
    }

    public StatusFold Fold { get; }

    public static StatusWatch Start(StatusStreamOptions options) => new(options);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await watching;
        stop.Dispose();
    }
}
