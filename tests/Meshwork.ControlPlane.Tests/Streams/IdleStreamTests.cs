using Grpc.Core;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>
/// A proxy that stops sending (its machine hangs or vanished) without a Goodbye and without closing
/// its connection (its HTTP/2 connection still answers pings): the read deadline closes its stream
/// and its instance leaves callers' snapshots after the grace period.
/// </summary>
public sealed class IdleStreamTests(IdleStreamTests.Fixture fixture) : IClassFixture<IdleStreamTests.Fixture>
{
    public sealed class Fixture : ControlPlaneFixture
    {
        protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
        {
            ["ControlPlane__StreamIdleTimeout"] = "00:00:03",
        };
    }

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SilentProxy_WithItsConnectionOpen_IsClosed_AndLeavesCallersSnapshots()
    {
        await fixture.ApplyAsync(new Service { Metadata = new ResourceMetadata { Name = "hangs" }, Versions = [new ServiceVersion { Name = "v1" }] });
        await using var caller = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "idle-caller", "idle-web"));
        await caller.WaitForAsync(s => s.Clusters.Any(c => c.Name == "hangs.default|v1"), Timeout);

        await using var silent = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "hangs-1", "hangs"), silent: true);
        await caller.WaitForAsync(s => s.Clusters.Single(c => c.Name == "hangs.default|v1").Endpoints.Any(e => e.InstanceId == "hangs-1"), Timeout);

        var closed = await silent.CompletionAsync(Timeout);
        await caller.WaitForAsync(s => s.Clusters.Single(c => c.Name == "hangs.default|v1").Endpoints.Count == 0, Timeout);

        Assert.Equal(StatusCode.DeadlineExceeded, closed?.StatusCode);
        Assert.Contains("no message from the proxy for 3 s", closed!.Status.Detail);
        // The caller reports every second: its stream stays.
        Assert.Null(caller.Failure);
    }
}
