using System.Collections.Concurrent;
using System.Net;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Status;
using Meshwork.Testing.Waiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Tests.Live;

/// <summary>The portal's tap calls against two real h2c gRPC servers on loopback (two control plane replicas).</summary>
public sealed class LiveTapSourceTests : IAsyncLifetime
{
    private readonly TestMeshStatusService first = new();
    private readonly TestMeshStatusService second = new();
    private readonly List<WebApplication> servers = [];
    private string addresses = "";

    public async Task InitializeAsync() => addresses = $"{await StartAsync(first)},{await StartAsync(second)}";

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

    [Fact]
    public async Task Run_OpensTheTapOnEveryReplica_RelaysEach_AndCancellingClosesEveryCall()
    {
        var source = new LiveTapSource(Options.Create(new PortalOptions { ControlPlane = { Address = addresses } }), NullLogger<LiveTapSource>.Instance);
        Assert.True(source.IsConfigured);
        var received = new ConcurrentQueue<(string Replica, string Path)>();
        using var stop = new CancellationTokenSource();
        var run = source.RunAsync("orders", "shop", (replica, update) =>
        {
            foreach (var sample in update.Samples) received.Enqueue((replica, sample.Path));
        }, (_, _) => { }, stop.Token);

        await Eventually.HoldsAsync(() => Task.FromResult(first.OpenTaps == 1 && second.OpenTaps == 1), "a tap call open on both replicas");
        Assert.Equal(("orders", "shop"), (first.LastTapRequest!.Service, first.LastTapRequest.Namespace));
        await first.SendAsync(new TapUpdate { Proxies = 1, Samples = { new RequestSample { Path = "/from-first" } } });
        await second.SendAsync(new TapUpdate { Proxies = 1, Samples = { new RequestSample { Path = "/from-second" } } });
        await Eventually.HoldsAsync(() => Task.FromResult(received.Count == 2), "samples from both replicas");
        Assert.Equal(["/from-first", "/from-second"], received.Select(r => r.Path).Order());

        // The page closing cancels: both control planes see their call end (which stops the proxies' tap there).
        await stop.CancelAsync();
        await run;
        await Eventually.HoldsAsync(() => Task.FromResult(first.OpenTaps == 0 && second.OpenTaps == 0), "both tap calls closed");
    }

    [Fact]
    public async Task Run_AgainstAnUnreachableReplica_SaysWhy_AndKeepsTheOtherOne()
    {
        var unreachable = $"http://127.0.0.1:{Meshwork.Testing.Processes.FreePort.Next()}";
        var source = new LiveTapSource(Options.Create(new PortalOptions { ControlPlane = { Address = $"{addresses.Split(',')[0]},{unreachable}" } }),
            NullLogger<LiveTapSource>.Instance);
        var problems = new ConcurrentDictionary<string, string?>();
        var received = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var run = source.RunAsync("orders", "default", (_, update) =>
        {
            foreach (var sample in update.Samples) received.Enqueue(sample.Path);
        }, (replica, problem) => problems[replica] = problem, stop.Token);
        await Eventually.HoldsAsync(() => Task.FromResult(problems.TryGetValue(unreachable, out var why) && why is not null), "the unreachable replica's problem");
        // The reachable replica's call may open only after the other one failed (a loaded machine): waited for, then
        // shown to still deliver after that failure.
        await Eventually.HoldsAsync(() => Task.FromResult(first.OpenTaps == 1), "the reachable replica's tap call open");
        await first.SendAsync(new TapUpdate { Proxies = 1, Samples = { new RequestSample { Path = "/still-served" } } });
        await Eventually.HoldsAsync(() => Task.FromResult(received.Contains("/still-served")), "samples from the reachable replica after the other failed");
        await stop.CancelAsync();
        await run;
    }
}
