using System.Globalization;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// One control plane replica the local driver runs (Portal:Fleet:ControlPlane): a single supervised
/// process in its own folder under the state directory (control-planes/NAME: pid file, log, and a
/// "stopped" marker while an operator keeps it stopped). Its name is its ControlPlane:ReplicaId and the
/// marker that tells a re-adopted process from a stranger. On the Fleet page it is a row of role
/// control-plane whose "app" is the replica itself (no sidecar).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ControlPlaneReplica : IFleetMember
{
    public const string Role = "control-plane";
    public const string Namespace = "meshwork-system";
    private const string StoppedMarker = "stopped";
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

    public ControlPlaneReplica(int replica, ManagedControlPlanes planes, string root, FleetOptions options, TimeProvider time)
    {
        Id = ManagedControlPlanes.NameOf(replica);
        GrpcPort = planes.GrpcPortOf(replica);
        HttpPort = planes.HttpPortOf(replica);
        Folder = Path.Combine(root, "control-planes", Id);
        Directory.CreateDirectory(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var marker = ("--ControlPlane:ReplicaId", Id);
        Process = new SupervisedProcess(new ProcessLaunch(Id,
                planes.Binary.With([marker.Item1, marker.Id,
                    "--ControlPlane:GrpcPort", GrpcPort.ToString(CultureInfo.InvariantCulture),
                    "--ControlPlane:HttpPort", HttpPort.ToString(CultureInfo.InvariantCulture)]),
                FleetChildEnvironment.With(new Dictionary<string, string>(planes.SharedEnvironment)),
                planes.Binary.WorkingDirectory, marker, $"http://127.0.0.1:{HttpPort}/health"),
            Folder, options, time);
    }

    public string Id { get; }
    public int GrpcPort { get; }
    public int HttpPort { get; }
    public string Folder { get; }
    public SupervisedProcess Process { get; }

    public bool Running => !File.Exists(Path.Combine(Folder, StoppedMarker));

    public void SetRunning(bool running)
    {
        var marker = Path.Combine(Folder, StoppedMarker);
        if (running) File.Delete(marker);
        else File.WriteAllText(marker, "stopped by an operator; the portal leaves it stopped until one starts it\n");
    }

    public void ClearCrashes() => Process.ClearCrashes();

    public async Task<bool> CheckAsync(CancellationToken ct) => Running && await Process.CheckAsync(mayStart: true, ct);

    public Task StopProcessesAsync(CancellationToken ct) => Process.StopAsync(StopGrace, ct);

    public ProcessLog? LogOf(string process) => process == "app" ? Process.Log : null;

    public object AuditDetails => new { replica = Id, grpcPort = GrpcPort, httpPort = HttpPort };

    public InstanceState State =>
        !Running ? InstanceState.Stopped
        : Process.CrashLooping ? InstanceState.CrashLooping
        : Process.Ready && Process.IsAlive ? InstanceState.Running
        : InstanceState.Starting;

    /// <summary>The gRPC port shows as its inbound port, the health port as its admin port; it has no app port or proxy of its own.</summary>
    public WorkloadInstance View() => new(
        Id, Role, Namespace, Role, Id, State, Process.Pid, null, Process.StartedAt, Process.Restarts, ProxyId: "",
        AppPort: 0, AdminPort: HttpPort, InboundPort: GrpcPort, OutboundPort: 0, Process.LastError);
}
