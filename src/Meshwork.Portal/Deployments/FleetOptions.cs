namespace Meshwork.Portal.Deployments;

/// <summary>
/// "Portal:Fleet": the deployment driver. <see cref="Driver"/> Local (the default) is on only when
/// both binaries are set; Kubernetes needs its <see cref="Kubernetes"/> section. Otherwise the Fleet
/// page only watches what joined the control plane.
/// </summary>
public sealed class FleetOptions
{
    public const string Section = "Portal:Fleet";

    public FleetDriver Driver { get; set; } = FleetDriver.Local;

    public KubernetesDriverOptions Kubernetes { get; set; } = new();

    /// <summary>The control plane replicas the local driver runs itself; not set: someone else runs them.</summary>
    public ManagedControlPlaneOptions ControlPlane { get; set; } = new();

    /// <summary>"Local": what only the local-process driver reads (network namespaces per instance).</summary>
    public LocalFleetOptions Local { get; set; } = new();

    /// <summary>The proxy: a published folder (holding Meshwork.Proxy.dll or the Meshwork.Proxy executable), a .dll or an executable.</summary>
    public string? ProxyPath { get; set; }

    /// <summary>The demo apps: a published folder (holding Meshwork.DemoApps.dll or its executable), a .dll or an executable.</summary>
    public string? DemoAppsPath { get; set; }

    /// <summary>Pid files, instance specs, logs and each sidecar's private state (its key); owner-only. Never committed.</summary>
    public string StateDirectory { get; set; } = Path.Combine(".meshwork", "portal-fleet");

    /// <summary>Loopback ports the driver hands out (4 per instance: app, proxy admin, inbound, outbound); each is checked free first.</summary>
    public int PortRangeStart { get; set; } = 19000;

    public int PortRangeEnd { get; set; } = 19999;

    /// <summary>This many crashes within <see cref="CrashLoopWindow"/> show the instance as crash-looping.</summary>
    public int CrashLoopThreshold { get; set; } = 3;

    public TimeSpan CrashLoopWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The first restart after a crash waits this long; each further crash in the window doubles it, up to <see cref="MaxRestartBackoff"/>.</summary>
    public TimeSpan InitialRestartBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRestartBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a starting process may take to answer its health check before the start counts as failed.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>A process's log file is rotated (one previous file kept) beyond this many bytes.</summary>
    public long MaxLogBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Leave the processes running when the portal stops (a portal upgrade that should not restart the
    /// fleet); the next portal start re-adopts them. Default: the portal's shutdown stops what it started.
    /// </summary>
    public bool KeepRunningOnShutdown { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ProxyPath) && !string.IsNullOrWhiteSpace(DemoAppsPath);

    /// <summary>Every problem with the settings, each naming its setting; empty when usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (PortRangeStart < 1024 || PortRangeEnd > 65535 || PortRangeEnd - PortRangeStart < 4)
            problems.Add($"{Section}:PortRangeStart..PortRangeEnd ({PortRangeStart}..{PortRangeEnd}) must lie in 1024..65535 and hold at least 4 ports");
        if (CrashLoopThreshold < 1) problems.Add($"{Section}:CrashLoopThreshold must be at least 1 (got {CrashLoopThreshold})");
        if (CrashLoopWindow <= TimeSpan.Zero) problems.Add($"{Section}:CrashLoopWindow must be positive");
        if (InitialRestartBackoff <= TimeSpan.Zero || MaxRestartBackoff < InitialRestartBackoff)
            problems.Add($"{Section}:InitialRestartBackoff must be positive and at most MaxRestartBackoff");
        if (StartTimeout <= TimeSpan.Zero) problems.Add($"{Section}:StartTimeout must be positive");
        if (MaxLogBytes < 4096) problems.Add($"{Section}:MaxLogBytes must be at least 4096 (got {MaxLogBytes})");
        if (string.IsNullOrWhiteSpace(StateDirectory)) problems.Add($"{Section}:StateDirectory is required");
        problems.AddRange(Local.NetworkNamespaces.Problems(Environment.IsPrivilegedProcess));
        return problems;
    }
}

public enum FleetDriver
{
    /// <summary>Local processes on loopback (<see cref="LocalProcessDriver"/>).</summary>
    Local,

    /// <summary>Deployments in a Kubernetes namespace (<see cref="KubernetesDeploymentDriver"/>).</summary>
    Kubernetes,
}
