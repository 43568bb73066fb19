using System.Net;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Tests.Live;

/// <summary>The portal's watcher against real h2c gRPC servers on loopback (two for the replica cases).</summary>
public sealed class MeshStatusWatcherTests : IAsyncLifetime
{
    private readonly TestMeshStatusService controlPlane = new();
    private readonly TestMeshStatusService replica = new();
    private readonly List<WebApplication> servers = [];
    private string address = "";
    private string replicaAddress = "";

    public async Task InitializeAsync()
    {
        address = await StartAsync(controlPlane);
        replicaAddress = await StartAsync(replica);
    }

    private async Task<string> StartAsync(TestMeshStatusService service)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        var server = builder.Build();
        servers.Add(server);
        server.MapGrpcService<TestMeshStatusService>();
        await server.StartAsync();
        return server.Urls.Single().Replace("[::1]", "127.0.0.1");
    }

    public async Task DisposeAsync()
    {
        foreach (var server in servers)
            await server.DisposeAsync();
    }

    private static ProxyStatus Proxy(string id, long acked = 3) => new()
    {
        ProxyId = id, Service = "checkout", Namespace = "default", Version = "v1", Connected = true, SentVersion = 3, AckedVersion = acked, AppHealth = "Healthy",
    };

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    /// <summary>Runs <paramref name="test"/> on the state a watcher of <paramref name="addresses"/> feeds, then stops the watcher.</summary>
    private static async Task WatchAsync(string addresses, Func<MeshLiveData, Task> test)
    {
        var state = new MeshLiveData(addresses);
        using var watcher = new MeshStatusWatcher(state, Options.Create(new PortalOptions { ControlPlane = { Address = addresses } }), NullLogger<MeshStatusWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        try
        {
            await test(state);
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }
    }

    private static StatusUpdate FullState(long atUnixMs, params ProxyStatus[] proxies)
    {
        var update = new StatusUpdate { FullState = true, AtUnixMs = atUnixMs };
        update.Proxies.Add(proxies);
        return update;
    }

    [Fact]
    public Task Watch_FullStateThenChanges_FoldsIntoCurrentState() => WatchAsync(address, async state =>
    {
        var full = FullState(1_000, Proxy("p1"), Proxy("p2", acked: 2));
        full.ConfigVersion = 3;
        full.ServiceVersions.Add(new ServiceVersionSignals { Service = "checkout", Namespace = "default", Version = "v1", Instances = 2, Signals = new GoldenSignals { Rps = 12.5, SuccessRate = 1 } });
        await controlPlane.SendAsync(full);
        await WaitForAsync(() => state.Current.Proxies.Count == 2, "the full state");
        Assert.Equal(LiveConnection.Connected, state.Current.Connection);
        Assert.Equal(12.5, Assert.Single(state.Current.ServiceVersions).Signals.Rps);

        var change = new StatusUpdate { AtUnixMs = 2_000, ConfigVersion = 4 };
        change.RemovedProxyIds.Add("p1");
        change.Proxies.Add(Proxy("p2", acked: 3));
        change.Events.Add(new MeshEvent { Kind = "ProxyDisconnected", Severity = "Warning", ProxyId = "p1", AtUnixMs = 2_000 });
        await controlPlane.SendAsync(change);
        await WaitForAsync(() => state.Current.ConfigVersion == 4, "the change");

        var proxy = Assert.Single(state.Current.Proxies);
        Assert.Equal(("p2", 3L), (proxy.ProxyId, proxy.AckedVersion));
        Assert.Equal("ProxyDisconnected", Assert.Single(state.Current.Events).Kind);
        Assert.Single(state.Current.ServiceVersions); // an update without signals keeps the last ones
    });

    [Fact]
    public Task Watch_StreamEnds_MarksStaleThenReconnectsAndReplacesState() => WatchAsync(address, async state =>
    {
        await controlPlane.SendAsync(FullState(1_000, Proxy("old")));
        await WaitForAsync(() => state.Current.Proxies.Count == 1, "the first state");

        controlPlane.EndCall();
        await WaitForAsync(() => state.Current.Connection == LiveConnection.Connecting, "the disconnect");
        Assert.Single(state.Current.Proxies); // the last state stays on screen, marked stale
        Assert.NotNull(state.Current.LastError);

        await controlPlane.SendAsync(FullState(5_000, Proxy("new")));
        await WaitForAsync(() => state.Current.Connection == LiveConnection.Connected && state.Current.Proxies.Any(p => p.ProxyId == "new"), "the reconnect");
        Assert.Equal(["new"], state.Current.Proxies.Select(p => p.ProxyId));
        Assert.True(controlPlane.Calls >= 2);
    });

    [Fact]
    public Task Watch_NothingListening_ReportsTheErrorWhileConnecting() => WatchAsync("http://127.0.0.1:1", async state =>
    {
        await WaitForAsync(() => state.Current.LastError is not null, "the connection error");
        Assert.Equal(LiveConnection.Connecting, state.Current.Connection);
        Assert.Null(state.Current.UpdatedAt);
    });

    [Fact]
    public Task Watch_TwoReplicas_OneStreamEachAndALostOneLeavesTheOthersProxies() => WatchAsync($"{address},{replicaAddress}", async state =>
    {
        await controlPlane.SendAsync(FullState(1_000, Proxy("p1")));
        await replica.SendAsync(FullState(1_000, Proxy("p2")));
        await WaitForAsync(() => state.Current.Proxies.Count == 2, "both replicas' proxies");
        Assert.Equal("2 of 2 control planes", state.Current.ControlPlanesSummary);

        replica.EndCall();
        await WaitForAsync(() => state.Current.Degraded, "the replica's stream is lost");
        Assert.Equal(["p1"], state.Current.Proxies.Select(p => p.ProxyId));
        Assert.Equal(LiveConnection.Connected, state.Current.Connection);
        Assert.Equal(1, controlPlane.Calls); // the other stream lives on: each reconnects on its own
    });
}
