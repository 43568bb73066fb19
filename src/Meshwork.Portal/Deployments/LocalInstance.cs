using System.Globalization;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// One instance of the local driver: a demo app and its own sidecar, in its own folder under the
/// state directory (instance.json, pid files, logs, the sidecar's private state with its key and join token).
/// The app reaches its callees through the sidecar's outbound listener (HTTP_PROXY, or nat rules in the
/// instance's own network namespace: <see cref="InstancePlacement"/>); the sidecar forwards inbound mesh
/// traffic to the app and registers it with the control plane.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LocalInstance : IFleetMember
{
    public const string JoinTokenFile = "join.token";
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

    public LocalInstance(InstanceSpec spec, string folder, LocalFleetBinaries binaries, FleetOptions options, TimeProvider time, InstancePlacement placement)
    {
        Spec = spec;
        Folder = folder;
        Placement = placement;
        var proxyState = ProxyStateDirectory(folder);
        var reachable = placement.ReachableHost;
        // In a network namespace the app gets no HTTP_PROXY: the nat rules bring its connections to the sidecar.
        var appEnvironment = placement.Network is null
            ? new Dictionary<string, string> { ["HTTP_PROXY"] = $"http://127.0.0.1:{spec.OutboundPort}" }
            : [];
        App = new SupervisedProcess(new ProcessLaunch("app",
            [.. placement.AppWrapper, .. binaries.DemoApps.With([spec.Role, "--urls", $"http://{placement.ListenHost}:{spec.AppPort}",
                "--Demo:Service", spec.Service, "--Demo:Version", spec.Version, "--Demo:Instance", spec.Id,
                "--Demo:LatencyMs", spec.LatencyMs.ToString(CultureInfo.InvariantCulture),
                "--Demo:ErrorRate", spec.ErrorRate.ToString(CultureInfo.InvariantCulture)])],
            FleetChildEnvironment.With(appEnvironment),
            binaries.DemoApps.WorkingDirectory, ("--Demo:Instance", spec.Id), $"http://127.0.0.1:{spec.AppPort}/health", placement.ProbeNamespace),
            folder, options, time);
        Sidecar = new SupervisedProcess(new ProcessLaunch("sidecar",
            [.. placement.SidecarWrapper, .. binaries.Proxy.With([
                "--Proxy:BindAddress", placement.ListenHost,
                "--Proxy:LocalBindAddress", placement.ListenHost,
                "--Proxy:AdminPort", spec.AdminPort.ToString(CultureInfo.InvariantCulture),
                "--Proxy:InboundPort", spec.InboundPort.ToString(CultureInfo.InvariantCulture),
                "--Proxy:OutboundPort", spec.OutboundPort.ToString(CultureInfo.InvariantCulture),
                .. InterceptArguments(spec, placement),
                "--Proxy:GatewayPort", "0",
                "--Proxy:StateDirectory", proxyState,
                "--ControlPlaneClient:Address", placement.ControlPlaneAddress(binaries.ControlPlaneAddress),
                "--ControlPlaneClient:TrustBundleFile", binaries.TrustBundleFile,
                "--ControlPlaneClient:ProxyId", spec.ProxyId,
                "--ControlPlaneClient:Namespace", spec.Namespace,
                "--ControlPlaneClient:Service", spec.Service,
                "--ControlPlaneClient:Version", spec.Version,
                "--ControlPlaneClient:AppAddress", $"127.0.0.1:{spec.AppPort}",
                "--ControlPlaneClient:InstanceAddress", $"{reachable}:{spec.InboundPort}"])],
            // The token goes by environment, not argument: the command line is readable by every local user.
            FleetChildEnvironment.With(new Dictionary<string, string> { ["ControlPlaneClient__BootstrapToken"] = ReadJoinToken(proxyState) }),
            binaries.Proxy.WorkingDirectory, ("--ControlPlaneClient:ProxyId", spec.ProxyId), $"http://{reachable}:{spec.AdminPort}/ready"),
            folder, options, time);
    }

    /// <summary>
    /// In a namespace the outbound port also takes the app's connections the nat rules redirect (one port, as the
    /// Kubernetes injection does), and the inbound port those arriving for the app's port: served as any mesh
    /// caller's (mTLS, access policy, then the app).
    /// </summary>
    private static IEnumerable<string> InterceptArguments(InstanceSpec spec, InstancePlacement placement) => placement.Network is null
        ? []
        : ["--Proxy:OutboundInterceptPort", spec.OutboundPort.ToString(CultureInfo.InvariantCulture),
            "--Proxy:InboundInterceptPort", spec.InboundPort.ToString(CultureInfo.InvariantCulture)];

    public InstanceSpec Spec { get; private set; }
    public string Id => Spec.Id;
    public bool Running => Spec.Running;
    public string Folder { get; }
    public SupervisedProcess App { get; }
    public SupervisedProcess Sidecar { get; }
    public InstancePlacement Placement { get; }

    /// <summary>The sidecar's state folder (its key, certificate, last snapshot, join token): owner-only, as the proxy requires.</summary>
    public static string ProxyStateDirectory(string folder) => Path.Combine(folder, "proxy");

    /// <summary>Creates the instance's folders (owner-only) and saves its spec and the sidecar's join token.</summary>
    public static void Prepare(InstanceSpec spec, string folder, string joinToken)
    {
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var proxyState = Directory.CreateDirectory(ProxyStateDirectory(folder), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(proxyState.FullName, JoinTokenFile), joinToken);
        File.SetUnixFileMode(Path.Combine(proxyState.FullName, JoinTokenFile), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        spec.Save(folder);
    }

    public void SetRunning(bool running)
    {
        Spec = Spec with { Running = running };
        Spec.Save(Folder);
    }

    public void ClearCrashes()
    {
        App.ClearCrashes();
        Sidecar.ClearCrashes();
    }

    public ProcessLog? LogOf(string process) => process switch
    {
        "app" => App.Log,
        "sidecar" => Sidecar.Log,
        _ => null,
    };

    public object AuditDetails => new { instance = Spec.Id, Spec.Service, Spec.Version, Spec.ProxyId };

    public InstanceState State =>
        !Spec.Running ? InstanceState.Stopped
        : App.CrashLooping || Sidecar.CrashLooping ? InstanceState.CrashLooping
        : App.Ready && Sidecar.Ready && App.IsAlive && Sidecar.IsAlive ? InstanceState.Running
        : InstanceState.Starting;

    /// <summary>One supervision step: the app first; the sidecar starts once the app answered (its readiness probes the app).</summary>
    public async Task<bool> CheckAsync(CancellationToken ct)
    {
        if (!Spec.Running) return false;
        var changed = await App.CheckAsync(mayStart: true, ct);
        changed |= await Sidecar.CheckAsync(mayStart: App.Ready, ct);
        return changed;
    }

    /// <summary>Sidecar first (it says Goodbye, so callers drop this instance before the app goes), then the app.</summary>
    public async Task StopProcessesAsync(CancellationToken ct)
    {
        await Sidecar.StopAsync(StopGrace, ct);
        await App.StopAsync(StopGrace, ct);
    }

    public WorkloadInstance View() => new(
        Spec.Id, Spec.Role, Spec.Namespace, Spec.Service, Spec.Version, State,
        App.Pid, Sidecar.Pid, Latest(App.StartedAt, Sidecar.StartedAt), App.Restarts + Sidecar.Restarts, Spec.ProxyId,
        Spec.AppPort, Spec.AdminPort, Spec.InboundPort, Spec.OutboundPort, App.LastError ?? Sidecar.LastError);

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string ReadJoinToken(string proxyState)
    {
        var path = Path.Combine(proxyState, JoinTokenFile);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "";
    }
}
