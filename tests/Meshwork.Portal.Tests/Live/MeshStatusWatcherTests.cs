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

/// <summary>The portal's watcher against a real h2c gRPC server on loopback.</summary>
public sealed class MeshStatusWatcherTests : IAsyncLifetime
{
    private readonly TestMeshStatusService controlPlane = new();
    private WebApplication? server;
    private string address = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(controlPlane);
        server = builder.Build();
        server.MapGrpcService<TestMeshStatusService>();
        await server.StartAsync();
        address = server.Urls.Single().Replace("[::1]", "127.0.0.1");
    }

    public async Task DisposeAsync()
    {
        if (server is not null)
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

    [Fact]
    public async Task Watch_FullStateThenChanges_FoldsIntoCurrentState()
    {
        var state = new MeshStatusState(address);
        using var watcher = new MeshStatusWatcher(state, Options.Create(new PortalOptions { ControlPlane = { Address = address } }), NullLogger<MeshStatusWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        try
        {
            var full = new StatusUpdate { FullState = true, AtUnixMs = 1_000, ConfigVersion = 3 };
            full.Proxies.Add(Proxy("p1"));
            full.Proxies.Add(Proxy("p2", acked: 2));
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
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Watch_StreamEnds_MarksStaleThenReconnectsAndReplacesState()
    {
        var state = new MeshStatusState(address);
        using var watcher = new MeshStatusWatcher(state, Options.Create(new PortalOptions { ControlPlane = { Address = address } }), NullLogger<MeshStatusWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        try
        {
            var first = new StatusUpdate { FullState = true, AtUnixMs = 1_000 };
            first.Proxies.Add(Proxy("old"));
            await controlPlane.SendAsync(first);
            await WaitForAsync(() => state.Current.Proxies.Count == 1, "the first state");

            controlPlane.EndCall();
            await WaitForAsync(() => state.Current.Connection == LiveConnection.Connecting, "the disconnect");
            Assert.Single(state.Current.Proxies); // the last state stays on screen, marked stale
            Assert.NotNull(state.Current.LastError);

            var second = new StatusUpdate { FullState = true, AtUnixMs = 5_000 };
            second.Proxies.Add(Proxy("new"));
            await controlPlane.SendAsync(second);
            await WaitForAsync(() => state.Current.Connection == LiveConnection.Connected && state.Current.Proxies.Any(p => p.ProxyId == "new"), "the reconnect");
            Assert.Equal(["new"], state.Current.Proxies.Select(p => p.ProxyId));
            Assert.True(controlPlane.Calls >= 2);
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Watch_NothingListening_ReportsTheErrorWhileConnecting()
    {
        var state = new MeshStatusState("http://127.0.0.1:1");
        using var watcher = new MeshStatusWatcher(state, Options.Create(new PortalOptions { ControlPlane = { Address = "http://127.0.0.1:1" } }), NullLogger<MeshStatusWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        try
        {
            await WaitForAsync(() => state.Current.LastError is not null, "the connection error");
            Assert.Equal(LiveConnection.Connecting, state.Current.Connection);
            Assert.Null(state.Current.UpdatedAt);
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }
    }
}
