namespace Meshwork.Portal.Deployments;

/// <summary>
/// One unit the local driver supervises and operators start, stop and restart: a workload instance
/// (an app with its sidecar, <see cref="LocalInstance"/>) or a control plane replica (<see cref="ControlPlaneReplica"/>).
/// Not thread-safe: the driver calls it under its lock.
/// </summary>
public interface IFleetMember
{
    string Id { get; }

    /// <summary>An operator wants it running (kept across portal restarts).</summary>
    bool Running { get; }

    void SetRunning(bool running);

    /// <summary>A start asked for by an operator: crash history cleared, so backoff starts over.</summary>
    void ClearCrashes();

    /// <summary>One supervision step; true when something visible changed.</summary>
    Task<bool> CheckAsync(CancellationToken ct);

    Task StopProcessesAsync(CancellationToken ct);

    /// <summary>The log of one of its processes ("app", "sidecar"); null when it has no such process.</summary>
    ProcessLog? LogOf(string process);

    /// <summary>What the audit entry of an action on it records.</summary>
    object AuditDetails { get; }

    WorkloadInstance View();
}
