using System.Diagnostics;
using Meshwork.Model.Resources;
using Meshwork.Portal.Deployments;
using Meshwork.Portal.Live;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// The portal's local-process driver with real processes: each instance a demo app and its own
/// sidecar joining a real control plane over PostgreSQL; traffic through a real caller sidecar.
/// Each test deploys its own service, so they share one mesh.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LocalProcessDriverTests(FleetMesh mesh) : IClassFixture<FleetMesh>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);
    private static readonly ChangeActor Operator = new("operator@meshwork.test", ChangeSource.Portal);

    [Fact]
    public async Task Deploy_StartsAppAndItsSidecar_TheSidecarJoinsAndAcks_AndTheActionIsAuditedAsTheUser()
    {
        await mesh.DeclareAsync("alpha", ["v1"]);
        var progress = new List<string>();
        var result = await mesh.Driver.DeployAsync(new DeployRequest("alpha", "v1", 1), Operator, new SynchronousProgress(progress));

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        var instance = Assert.Single(mesh.Driver.Instances, i => i.Service == "alpha");
        Assert.Equal(("alpha-v1-1", InstanceState.Running, "backend", "sidecar-alpha-v1-1"), (instance.Id, instance.State, instance.Role, instance.ProxyId));
        Assert.NotNull(instance.AppPid);
        Assert.NotNull(instance.SidecarPid);
        Assert.Contains(progress, p => p == "alpha-v1-1: running");
        var live = mesh.Portal.Services.GetRequiredService<MeshLiveData>();
        await Eventually.HoldsAsync(() => Task.FromResult(live.Current.Proxies.Any(p =>
                p.ProxyId == "sidecar-alpha-v1-1" && p.Connected && p.AckedVersion > 0 && p.AckedVersion == p.SentVersion && p.Version == "v1")),
            "the sidecar connected and ACKed its snapshot", Generous);

        await using var db = MigratedDatabase.OpenSession(mesh.Portal.ConnectionString);
        var log = new AuditLog(db);
        var deploy = Assert.Single(await log.QueryAsync(new AuditQuery { Action = ChangeAction.Deploy, Name = "alpha/v1" }));
        Assert.Equal((Operator.Name, ChangeSource.Portal, "Fleet/default/alpha/v1"), (deploy.Actor, deploy.Source, deploy.Subject));
        Assert.Contains("\"alpha-v1-1\"", deploy.AfterJson);
        var token = Assert.Single(await log.QueryAsync(new AuditQuery { Action = ChangeAction.Issue, Name = "portal fleet alpha v1" }));
        Assert.Equal(Operator.Name, token.Actor);

        var refused = await mesh.Driver.DeployAsync(new DeployRequest("alpha", "v1", 1), Operator);
        Assert.Equal(["version: alpha v1 is deployed already; scale it instead"], refused.Errors);
        var invalid = await mesh.Driver.DeployAsync(new DeployRequest("Alpha!", "v2", 0, ErrorRate: 2), Operator);
        Assert.False(invalid.Succeeded);
        Assert.Contains(invalid.Errors, e => e.StartsWith("service: 'Alpha!'", StringComparison.Ordinal));
        Assert.Contains(invalid.Errors, e => e.StartsWith("instances:", StringComparison.Ordinal));
        Assert.Contains(invalid.Errors, e => e.StartsWith("errorRate:", StringComparison.Ordinal));

        var text = await mesh.Driver.ReadLogAsync("alpha-v1-1", "sidecar", 64 * 1024);
        Assert.Contains("meshwork portal", text);

        // The download: signed-in users only.
        var url = FleetLogEndpoint.UrlFor("alpha-v1-1", "app");
        using var anonymous = mesh.Portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using (var anonymousResponse = await anonymous.GetAsync(url))
            Assert.NotEqual(System.Net.HttpStatusCode.OK, anonymousResponse.StatusCode);
        using var signedIn = await BrowserSession.SignedInAsync(mesh.Portal);
        using var download = await signedIn.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("alpha-v1-1-app.log", download.Content.Headers.ContentDisposition?.FileName);
        Assert.Contains("starting: ", await download.Content.ReadAsStringAsync());
        using var unknown = await signedIn.GetAsync(FleetLogEndpoint.UrlFor("alpha-v1-1", "database"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task RepeatedCrashes_ShowAsCrashLooping_UntilAnOperatorRestartsIt()
    {
        await mesh.DeclareAsync("foxtrot", ["v1"]);
        Assert.True((await mesh.Driver.DeployAsync(new DeployRequest("foxtrot", "v1", 1), Operator)).Succeeded);
        var pid = Assert.Single(mesh.Driver.Instances, i => i.Service == "foxtrot").AppPid!.Value;
        // Three crashes within the window (Portal:Fleet:CrashLoopThreshold 3, CrashLoopWindow 60 s): each app killed once it was restarted.
        for (var crash = 1; crash <= 3; crash++)
        {
            Process.GetProcessById(pid).Kill();
            var restarted = await Eventually.ValueAsync(() => mesh.Driver.Instances.FirstOrDefault(i =>
                i.Id == "foxtrot-v1-1" && i.AppPid is { } p && p != pid && (crash < 3 || i.State == InstanceState.CrashLooping)),
                $"the app restarted after crash {crash}", Generous);
            pid = restarted.AppPid!.Value;
        }
        Assert.Equal(InstanceState.CrashLooping, mesh.Driver.Instances.Single(i => i.Id == "foxtrot-v1-1").State);

        Assert.True((await mesh.Driver.RestartAsync("foxtrot-v1-1", Operator)).Succeeded);
        await Eventually.ValueAsync(() => mesh.Driver.Instances.FirstOrDefault(i => i.Id == "foxtrot-v1-1" && i.State == InstanceState.Running),
            "running again after the operator's restart (crash history cleared)", Generous);
    }

    [Fact]
    public async Task KilledAppAndKilledSidecar_AreNoticedAndRestarted_AndCountedAsRestarts()
    {
        await mesh.DeclareAsync("bravo", ["v1"]);
        Assert.True((await mesh.Driver.DeployAsync(new DeployRequest("bravo", "v1", 1), Operator)).Succeeded);
        var before = Assert.Single(mesh.Driver.Instances, i => i.Service == "bravo");

        Process.GetProcessById(before.AppPid!.Value).Kill(); // SIGKILL
        var afterApp = await Eventually.ValueAsync(() => mesh.Driver.Instances.FirstOrDefault(i =>
            i.Id == "bravo-v1-1" && i.Restarts == 1 && i.State == InstanceState.Running && i.AppPid != before.AppPid),
            "the app restarted once and running again", Generous);
        Assert.Equal(before.SidecarPid, afterApp.SidecarPid);

        Process.GetProcessById(afterApp.SidecarPid!.Value).Kill();
        await Eventually.ValueAsync(() => mesh.Driver.Instances.FirstOrDefault(i =>
            i.Id == "bravo-v1-1" && i.Restarts == 2 && i.State == InstanceState.Running && i.SidecarPid != afterApp.SidecarPid),
            "the sidecar restarted and ready again", Generous);
        var live = mesh.Portal.Services.GetRequiredService<MeshLiveData>();
        await Eventually.HoldsAsync(() => Task.FromResult(live.Current.Proxies.Any(p => p.ProxyId == "sidecar-bravo-v1-1" && p.Connected)),
            "the restarted sidecar reconnected (with its certificate)", Generous);
    }

    [Fact]
    public async Task ScaleToThree_RealTrafficThroughTheMesh_ReachesAllThree_AndScaleDownRemovesTheExtra()
    {
        await mesh.DeclareAsync("charlie", ["v1"]);
        Assert.True((await mesh.Driver.DeployAsync(new DeployRequest("charlie", "v1", 1), Operator)).Succeeded);
        var scaled = await mesh.Driver.ScaleAsync("charlie", "v1", 3, Operator);
        Assert.True(scaled.Succeeded, string.Join("; ", scaled.Errors));
        await Eventually.HoldsAsync(() => Task.FromResult(mesh.Driver.Instances.Count(i => i.Service == "charlie" && i.State == InstanceState.Running) == 3),
            "three charlie instances running", Generous);

        await using var caller = await mesh.CallerAsync("caller-charlie");
        using var client = caller.OutboundClient();
        var servedBy = new HashSet<string>();
        await Eventually.HoldsAsync(async () =>
        {
            for (var i = 0; i < 30; i++)
            {
                using var response = await client.GetAsync("http://charlie/");
                if (response.IsSuccessStatusCode && response.Headers.TryGetValues("x-served-by", out var who))
                    servedBy.UnionWith(who);
            }
            return servedBy.SetEquals(["charlie-v1-1", "charlie-v1-2", "charlie-v1-3"]);
        }, "requests served by all three instances", Generous);

        Assert.True((await mesh.Driver.ScaleAsync("charlie", "v1", 1, Operator)).Succeeded);
        Assert.Equal(["charlie-v1-1"], mesh.Driver.Instances.Where(i => i.Service == "charlie").Select(i => i.Id));
        await using var db = MigratedDatabase.OpenSession(mesh.Portal.ConnectionString);
        var scales = await new AuditLog(db).QueryAsync(new AuditQuery { Action = ChangeAction.Scale, Name = "charlie/v1" });
        Assert.Equal(2, scales.Count);
    }

    [Fact]
    public async Task DeployedVersion_Registers_ButGetsNoTraffic_UntilARouteSendsSome()
    {
        await mesh.DeclareAsync("delta", ["v1", "v2"], routeToFirst: true);
        Assert.True((await mesh.Driver.DeployAsync(new DeployRequest("delta", "v1", 1), Operator)).Succeeded);
        var deployed = await mesh.Driver.DeployAsync(new DeployRequest("delta", "v2", 1, LatencyMs: 1), Operator);
        Assert.True(deployed.Succeeded, string.Join("; ", deployed.Errors));
        var live = mesh.Portal.Services.GetRequiredService<MeshLiveData>();
        await Eventually.HoldsAsync(() => Task.FromResult(live.Current.Proxies.Any(p => p.ProxyId == "sidecar-delta-v2-1" && p.Connected && p.Version == "v2")),
            "v2 registered with the control plane", Generous);

        await using var caller = await mesh.CallerAsync("caller-delta");
        using var client = caller.OutboundClient();
        await Eventually.HoldsAsync(async () => (await client.GetAsync("http://delta/")).IsSuccessStatusCode, "delta reachable", Generous);
        for (var i = 0; i < 40; i++)
        {
            using var response = await client.GetAsync("http://delta/");
            Assert.Equal("delta-v1-1", Assert.Single(response.Headers.GetValues("x-served-by")));
        }

        await using (var db = MigratedDatabase.OpenSession(mesh.Portal.ConnectionString))
            Assert.IsType<ChangeResult.Applied>(await new ResourceService(db, TimeProvider.System)
                .ApplyAsync(FleetMesh.Route("delta", [("v1", 50), ("v2", 50)], version: 1), new ChangeActor("fleet-test", ChangeSource.Api)));
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await client.GetAsync("http://delta/");
            return response.Headers.TryGetValues("x-served-by", out var who) && who.Contains("delta-v2-1");
        }, "v2 served a request once the route split traffic", Generous);
    }

    [Fact]
    public async Task ANewDriverOverTheSameStateDirectory_ReadoptsTheRunningProcesses_WithoutStartingDuplicates()
    {
        await mesh.DeclareAsync("echo", ["v1"]);
        var state = Path.Combine(mesh.StateDirectory + "-readopt");
        var first = mesh.NewDriver(state, keepRunning: true);
        await first.StartAsync(CancellationToken.None);
        Assert.True((await first.DeployAsync(new DeployRequest("echo", "v1", 1), Operator)).Succeeded);
        var started = Assert.Single(first.Instances);
        await first.StopAsync(CancellationToken.None);
        first.Dispose();
        Assert.True(LocalProcesses.Alive(started.AppPid!.Value) && LocalProcesses.Alive(started.SidecarPid!.Value), "KeepRunningOnShutdown left both running");

        var second = mesh.NewDriver(state, keepRunning: false);
        try
        {
            await second.StartAsync(CancellationToken.None);
            var adopted = await Eventually.ValueAsync(() => second.Instances.FirstOrDefault(i => i.State == InstanceState.Running),
                "the re-adopted instance running", Generous);
            Assert.Equal((started.AppPid, started.SidecarPid, 0), (adopted.AppPid, adopted.SidecarPid, adopted.Restarts));
            Assert.Single(LocalProcesses.With("--Demo:Instance", "echo-v1-1"));
            Assert.Single(LocalProcesses.With("--ControlPlaneClient:ProxyId", "sidecar-echo-v1-1"));
        }
        finally
        {
            await second.StopAsync(CancellationToken.None);
            second.Dispose();
        }
        Assert.False(LocalProcesses.Alive(started.AppPid.Value) || LocalProcesses.Alive(started.SidecarPid.Value), "the portal's shutdown stopped what it ran");
    }
}
