using Meshwork.Protocol.Status;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>The control plane's status stream folded as the portal folds it (Meshwork.Protocol's StatusFold), plus polling helpers.</summary>
public sealed class StatusWatcher : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task watching;

    public StatusWatcher(ControlPlaneProcess controlPlane)
    {
        Feed = new StatusFold(controlPlane.Address);
        var options = new StatusStreamOptions(controlPlane.Address, ControlPlaneProcess.StatusToken, controlPlane.TrustBundleFile, MinIntervalMs: 250);
        watching = StatusStream.WatchAsync(options, Feed, () => { }, NullLogger.Instance, stop.Token);
    }

    public StatusFold Feed { get; }

    public ProxyStatus? Proxy(string id) => Feed.Proxy(id);

    /// <summary>Oldest first, in the order they happened (the fold keeps them newest first).</summary>
    public IReadOnlyList<MeshEvent> Events => Feed.Events.Reverse().ToList();

    public async Task WaitUntilAsync(Func<StatusWatcher, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition(this)) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"status never showed: {what}");
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await watching;
        stop.Dispose();
    }
}
