using Meshwork.Protocol.Status;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>The portal's view of the control plane (Meshwork.Protocol's MeshStatusFeed) plus polling helpers.</summary>
public sealed class StatusWatcher : IAsyncDisposable
{
    public StatusWatcher(ControlPlaneProcess controlPlane)
    {
        Feed = new MeshStatusFeed(controlPlane.Address, ControlPlaneProcess.StatusToken, controlPlane.TrustBundleFile, minIntervalMs: 250);
        Feed.Start();
    }

    public MeshStatusFeed Feed { get; }

    public ProxyStatus? Proxy(string id) => Feed.Proxy(id);

    public IReadOnlyList<MeshEvent> Events => Feed.Events;

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

    public ValueTask DisposeAsync() => Feed.DisposeAsync();
}
