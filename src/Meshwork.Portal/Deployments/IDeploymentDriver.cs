using Meshwork.Model.Validation;
using Meshwork.Store;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// What the portal's Fleet page drives: the workloads it deployed and their instances. One
/// implementation runs local processes (<see cref="LocalProcessDriver"/>); a Kubernetes one would
/// map the same calls to Deployments and pods. Every mutating call is audited as
/// <paramref name="actor"/> by the implementation, and returns what happened instead of throwing
/// for a request that cannot be done (unknown instance, bad field).
/// </summary>
public interface IDeploymentDriver
{
    /// <summary>Where the instances run, for the page ("local processes", "Kubernetes namespace x").</summary>
    string Description { get; }

    /// <summary>
    /// Every instance the driver manages, ordered by service, version, instance; the local driver lists
    /// the control plane replicas it runs first (role <see cref="ControlPlaneReplica.Role"/>, no sidecar).
    /// </summary>
    IReadOnlyList<WorkloadInstance> Instances { get; }

    /// <summary>Raised (on any thread) when an instance appears, goes, or changes state.</summary>
    event Action? Changed;

    Task<FleetActionResult> StartAsync(string instanceId, ChangeActor actor, CancellationToken ct = default);

    Task<FleetActionResult> StopAsync(string instanceId, ChangeActor actor, CancellationToken ct = default);

    Task<FleetActionResult> RestartAsync(string instanceId, ChangeActor actor, CancellationToken ct = default);

    /// <summary>Adds or removes instances of a deployed service version until it has <paramref name="instances"/> (0 removes them all).</summary>
    Task<FleetActionResult> ScaleAsync(string service, string version, int instances, ChangeActor actor, CancellationToken ct = default);

    /// <summary>
    /// Starts new instances of a service version. They join the control plane as that version and
    /// get traffic only from a route that sends some to it (or from the service's default rule when
    /// no route attaches to the service). Progress lines go to <paramref name="progress"/> while they start.
    /// </summary>
    Task<FleetActionResult> DeployAsync(DeployRequest request, ChangeActor actor, IProgress<string>? progress = null, CancellationToken ct = default);

    /// <summary>The last <paramref name="maxBytes"/> of one process's log (process: "app" or "sidecar"); null when there is no such instance.</summary>
    Task<string?> ReadLogAsync(string instanceId, string process, int maxBytes, CancellationToken ct = default);
}

public enum InstanceState
{
    /// <summary>Started (or restarting after a crash) and not yet answering its health checks.</summary>
    Starting,

    /// <summary>App healthy and sidecar ready.</summary>
    Running,

    /// <summary>Crashed too often recently (see Portal:Fleet:CrashLoopThreshold); restarts keep backing off.</summary>
    CrashLooping,

    /// <summary>Stopped by an operator.</summary>
    Stopped,
}

/// <summary>One instance: an app with its own sidecar. Ports are loopback; 0 when not allocated.</summary>
public sealed record WorkloadInstance(
    string Id,
    string Role,
    string Namespace,
    string Service,
    string Version,
    InstanceState State,
    int? AppPid,
    int? SidecarPid,
    DateTimeOffset? StartedAt,
    int Restarts,
    string ProxyId,
    int AppPort,
    int AdminPort,
    int InboundPort,
    int OutboundPort,
    string? LastError);

/// <summary>A new version of a service: <see cref="Instances"/> instances of a demo app role with these knobs.</summary>
public sealed record DeployRequest(string Service, string Version, int Instances, string? Role = null, int LatencyMs = 0, double ErrorRate = 0)
{
    /// <summary>Instances of one service version a driver runs at most (what the Fleet page offers).</summary>
    public const int MaxInstances = 10;

    /// <summary>Every problem with the request, each naming its field.</summary>
    public IReadOnlyList<string> Problems()
    {
        var errors = new List<string>();
        if (!IdentityNames.IsDnsLabel(Service)) errors.Add($"service: '{Service}' is not a valid name: {IdentityNames.DnsLabelRule}");
        if (!IdentityNames.IsDnsLabel(Version)) errors.Add($"version: '{Version}' is not a valid name: {IdentityNames.DnsLabelRule}");
        if (Instances is < 1 or > MaxInstances) errors.Add($"instances: must be 1 to {MaxInstances} (got {Instances})");
        if (Role is { } role && !DemoRoles.All.Contains(role)) errors.Add($"role: '{role}' is not a demo app role ({string.Join(", ", DemoRoles.All)})");
        if (LatencyMs is < 0 or > 60_000) errors.Add($"latencyMs: must be 0 to 60000 milliseconds (got {LatencyMs})");
        if (ErrorRate is < 0 or > 1 || double.IsNaN(ErrorRate)) errors.Add($"errorRate: must be a share from 0 to 1 (got {ErrorRate})");
        return errors;
    }
}

/// <summary>The outcome of a fleet action: success, or every reason it was refused or failed.</summary>
public sealed record FleetActionResult(bool Succeeded, IReadOnlyList<string> Errors)
{
    public static readonly FleetActionResult Success = new(true, []);

    public static FleetActionResult Failed(params string[] errors) => new(false, errors);
}
