using System.Net.Http.Json;
using System.Text.Json;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using Xunit.Abstractions;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>
/// An instance leaving the mesh: stopped on purpose (SIGTERM, a rolling deploy) it says Goodbye and
/// drains, so callers drop it before it closes; killed, it keeps today's grace period. Calls go
/// web -> orders with no retries configured, so any request routed to a closed instance fails.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class GracefulLeaveTests(MeshFixture mesh, ITestOutputHelper output) : IClassFixture<MeshFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private static readonly HttpClient Admin = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task ProxyTerminated_UnderLoad_NoRequestFailsAndCallersDropItWhileItStillServes()
    {
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        await using var backend = await DemoBackendProcess.StartAsync("orders", "v1", "orders-v1-b");
        await using var leaving = await MeshProxy.StartAsync(mesh.ControlPlane, mesh.Token, "orders-v1-2", "orders", "v1", backend.Address);
        var endpoint = $"127.0.0.1:{leaving.InboundPort}";
        using (var probe = mesh.Web.OutboundClient())
            await Eventually.HoldsAsync(async () => await MeshFixture.ServedByAsync(probe) == "orders-v1-b", "the second orders instance is reached", Generous);
        await using var status = new StatusWatcher(mesh.ControlPlane);

        var load = new LoadLoop(mesh.Web.OutboundClient, "http://orders/");
        try
        {
            // Both instances take a share of the load before one of them goes.
            var servedBefore = await backend.RequestCountAsync();
            await Eventually.HoldsAsync(async () => await backend.RequestCountAsync() > servedBefore + 20, "the leaving instance serves part of the load", Generous);

            var exit = leaving.TerminateAsync();

            var readyWhileDraining = 0;
            await Eventually.HoldsAsync(async () => exit.IsCompleted || (readyWhileDraining = await ReadyStatusAsync(leaving)) == 503,
                "the leaving proxy answers /ready while it drains", Generous);
            Assert.True(readyWhileDraining == 503, $"the proxy exited without draining (last /ready: {readyWhileDraining})");

            // Dropped while its proxy still runs: the Goodbye removed it, not a grace period that only starts when the stream ends.
            var exitedBeforeDropped = false;
            await Eventually.HoldsAsync(async () =>
            {
                exitedBeforeDropped = exit.IsCompleted;
                return !await CallerListsAsync(endpoint);
            }, "web's snapshot drops the leaving instance", Generous);
            Assert.False(exitedBeforeDropped, "web still listed the instance when its proxy exited");

            Assert.Equal(0, await exit);
            var afterExit = load.Requests;
            await Eventually.HoldsAsync(() => Task.FromResult(load.Requests > afterExit + 50), "traffic after the proxy exited", Generous);
        }
        finally
        {
            await load.DisposeAsync();
        }
        output.WriteLine($"{load.Requests} requests, {load.Failures} failed");
        Assert.True(load.Failures == 0, $"{load.Failures} of {load.Requests} requests failed:\n" + string.Join("\n", load.FailureSamples)
            + "\n--- leaving proxy ---\n" + leaving.Output + "\n" + mesh.Diagnostics());

        await status.WaitUntilAsync(s => s.Events.Any(e => e.Kind == "ProxyLeft" && e.ProxyId == leaving.Id), Generous, "ProxyLeft event");
        Assert.Null(status.Proxy(leaving.Id));
        Assert.DoesNotContain(status.Events, e => e.Kind == "InstanceRemoved" && e.ProxyId == leaving.Id);

        // Back with the same proxy id: registered again and reached again.
        await leaving.StartAsync(mesh.ControlPlane, mesh.Token);
        await Eventually.HoldsAsync(() => CallerListsAsync(endpoint), "web's snapshot lists the returning instance", Generous);
        using var client = mesh.Web.OutboundClient();
        await Eventually.HoldsAsync(async () => await MeshFixture.ServedByAsync(client) == "orders-v1-b", "the returning instance is reached", Generous);
        Assert.Equal(0, await leaving.TerminateAsync());
    }

    [Fact]
    public async Task ProxyKilled_KeepsItsInstanceForTheGracePeriod()
    {
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        await using var backend = await DemoBackendProcess.StartAsync("orders", "v1", "orders-v1-c");
        await using var killed = await MeshProxy.StartAsync(mesh.ControlPlane, mesh.Token, "orders-v1-3", "orders", "v1", backend.Address);
        var endpoint = $"127.0.0.1:{killed.InboundPort}";
        await Eventually.HoldsAsync(() => CallerListsAsync(endpoint), "web's snapshot lists the third orders instance", Generous);
        await using var status = new StatusWatcher(mesh.ControlPlane);

        await killed.StopAsync();

        // No Goodbye: a lost connection, which may come back, so the instance stays until the grace period ends.
        await status.WaitUntilAsync(s => s.Events.Any(e => e.Kind == "InstanceRemoved" && e.ProxyId == killed.Id), Generous, "InstanceRemoved after the grace period");
        var events = status.Events.Where(e => e.ProxyId == killed.Id).Select(e => e.Kind).ToList();
        Assert.Equal(["ProxyDisconnected", "InstanceRemoved"], events.SkipWhile(kind => kind != "ProxyDisconnected"));
        Assert.DoesNotContain("ProxyLeaving", events);
        await Eventually.HoldsAsync(async () => !await CallerListsAsync(endpoint), "web's snapshot drops the killed instance", Generous);
    }

    /// <summary>Whether the web sidecar's applied configuration has an endpoint at this address.</summary>
    private async Task<bool> CallerListsAsync(string address)
    {
        var stats = await Admin.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{mesh.Web.AdminPort}/stats");
        return stats.GetProperty("clusters").EnumerateArray()
            .SelectMany(cluster => cluster.GetProperty("endpoints").EnumerateArray())
            .Any(e => e.GetProperty("address").GetString()!.Contains(address, StringComparison.Ordinal));
    }

    private static async Task<int> ReadyStatusAsync(MeshProxy proxy)
    {
        try
        {
            using var response = await Admin.GetAsync($"http://127.0.0.1:{proxy.AdminPort}/ready");
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }
}
