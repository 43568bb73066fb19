using System.Diagnostics;
using System.Net.Http.Json;
using Meshwork.Portal.Deployments;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// The local driver running the control plane itself (Portal:Fleet:ControlPlane): a real replica process
/// over the fleet mesh's database (a second replica beside the mesh's own, sealed with the same CA key),
/// a real sidecar joining through it, kill -9, an operator's restart, and a new driver re-adopting it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ManagedControlPlaneTests(FleetMesh mesh) : IClassFixture<FleetMesh>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);
    private static readonly ChangeActor Operator = new("operator@meshwork.test", ChangeSource.Portal);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task TheDriver_RunsTheReplica_RestartsItAfterAKill_ASidecarRejoins_AndANewDriverReadoptsIt_WithoutADuplicate()
    {
        var state = mesh.StateDirectory + "-managed-control-plane";
        var planes = new ManagedControlPlaneOptions
        {
            Path = AppContext.BaseDirectory, GrpcPort = FreePort.Next(), HttpPort = FreePort.Next(),
            ConnectionString = mesh.Portal.ConnectionString, CaKeyEncryptionKey = mesh.CaKeyEncryptionKey,
        };
        var first = mesh.NewDriver(state, keepRunning: true, planes);
        LocalProcessDriver? second = null;
        int pid;
        try
        {
            await first.StartAsync(CancellationToken.None);
            var started = await Eventually.ValueAsync(() => first.Instances.FirstOrDefault(i => i.Role == ControlPlaneReplica.Role && i.State == InstanceState.Running),
                "the driver started the control plane replica and it answers its health check", Generous);
            Assert.Equal(("control-plane", ControlPlaneReplica.Namespace, planes.HttpPort, planes.GrpcPort, (int?)null),
                (started.Id, started.Namespace, started.AdminPort, started.InboundPort, started.SidecarPid));
            Assert.Equal("control-plane", (await ReplicaAsync(planes.HttpPort))!.ReplicaId);

            // A sidecar joins through the managed replica alone and serves its snapshot (MeshProxy waits for /ready).
            await using var sidecar = await mesh.CallerAsync("managed-cp-caller", $"https://127.0.0.1:{planes.GrpcPort}");
            Assert.True((await ReplicaAsync(planes.HttpPort))!.Proxies >= 1);

            Process.GetProcessById(started.AppPid!.Value).Kill(); // SIGKILL
            var restarted = await Eventually.ValueAsync(() => first.Instances.FirstOrDefault(i =>
                    i.Id == "control-plane" && i.Restarts == 1 && i.State == InstanceState.Running && i.AppPid != started.AppPid),
                "the killed replica noticed, restarted once and healthy again", Generous);
            await Eventually.HoldsAsync(async () => await ReplicaAsync(planes.HttpPort) is { Proxies: >= 1 },
                "the sidecar reconnected to the restarted replica", Generous);
            Assert.Contains("exited unexpectedly", await first.ReadLogAsync("control-plane", "app", 64 * 1024));
            Assert.Null(await first.ReadLogAsync("control-plane", "sidecar", 1024));

            Assert.True((await first.RestartAsync("control-plane", Operator)).Succeeded);
            var afterRestart = await Eventually.ValueAsync(() => first.Instances.FirstOrDefault(i =>
                    i.Id == "control-plane" && i.State == InstanceState.Running && i.AppPid != restarted.AppPid),
                "running again after the operator's restart", Generous);
            pid = afterRestart.AppPid!.Value;
            await using (var db = MigratedDatabase.OpenSession(mesh.Portal.ConnectionString))
            {
                var audit = Assert.Single(await new AuditLog(db).QueryAsync(new AuditQuery { Action = ChangeAction.Restart, Name = "control-plane" }));
                Assert.Equal(Operator.Name, audit.Actor);
            }

            await first.StopAsync(CancellationToken.None);
            Assert.True(LocalProcesses.Alive(pid), "KeepRunningOnShutdown left the replica running");

            second = mesh.NewDriver(state, keepRunning: false, planes);
            await second.StartAsync(CancellationToken.None);
            var adopted = await Eventually.ValueAsync(() => second.Instances.FirstOrDefault(i => i.Id == "control-plane" && i.State == InstanceState.Running),
                "the new driver re-adopted the running replica", Generous);
            Assert.Equal((pid, 0), (adopted.AppPid!.Value, adopted.Restarts));
            Assert.Equal([pid], LocalProcesses.With("--ControlPlane:ReplicaId", "control-plane"));
        }
        finally
        {
            first.Dispose();
            if (second is not null)
            {
                await second.StopAsync(CancellationToken.None);
                second.Dispose();
            }
        }
        Assert.False(LocalProcesses.Alive(pid), "the portal's shutdown stopped the replica it ran");
    }

    private static async Task<ReplicaInfo?> ReplicaAsync(int httpPort)
    {
        try
        {
            return await Http.GetFromJsonAsync<ReplicaInfo>($"http://127.0.0.1:{httpPort}/replica");
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    private sealed record ReplicaInfo(string ReplicaId, bool Leader, int Proxies);
}
