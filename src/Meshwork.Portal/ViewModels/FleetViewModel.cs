using Meshwork.Portal.Deployments;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.ViewModels;

/// <summary>One deployed instance beside what its sidecar reports to the control plane (null until it joined).</summary>
public sealed record FleetRow(WorkloadInstance Instance, ProxyStatus? Proxy)
{
    public TimeSpan? Uptime(DateTimeOffset now) =>
        Instance.State is InstanceState.Stopped || Instance.StartedAt is not { } started ? null : now - started;

    public DateTimeOffset? CertificateNotAfter => Proxy is { CertificateNotAfterUnixMs: > 0 } p ? DateTimeOffset.FromUnixTimeMilliseconds(p.CertificateNotAfterUnixMs) : null;
}

/// <summary>One service version the driver runs, with its instance count (the Fleet page's Scale row; control plane replicas are not scaled there).</summary>
public sealed record FleetWorkload(string Service, string Version, string Role, int Instances);

/// <summary>A rollout to start after a deploy: the template and the version that keeps the traffic until it promotes.</summary>
public sealed record RolloutChoice(RolloutTemplate Template, string StableVersion);

/// <summary>
/// What a deploy did: the driver's result, then the declaration of the version on its Service and the
/// rollout (null when not attempted: the deploy failed, or no rollout was asked for).
/// </summary>
public sealed record FleetReleaseResult(FleetActionResult Deploy, ChangeOutcome? Declared, ChangeOutcome? Rollout)
{
    public bool Succeeded => Deploy.Succeeded && Declared is { Succeeded: true } && Rollout is null or { Succeeded: true };
}

/// <summary>
/// The Fleet page's deployments: the driver's instances merged with the live status, and the
/// actions on them (Operator and Admin only; checked here again, whatever the page showed). Without a
/// driver (Portal:Fleet not set) there is nothing to deploy and the page only watches.
/// </summary>
public sealed class FleetViewModel(IServiceProvider services, CurrentUser user, FleetRelease release)
{
    public IDeploymentDriver? Driver { get; } = services.GetService<IDeploymentDriver>();

    /// <summary>May start, stop, restart, scale and deploy (Operator+); Viewers see the table only.</summary>
    public bool CanOperate { get; private set; }

    public async Task LoadAsync() => CanOperate = Driver is not null && await user.CanAsync(PortalPolicies.EditTraffic);

    public IReadOnlyList<FleetRow> Rows(MeshStatusSnapshot snapshot)
    {
        if (Driver is null) return [];
        var proxies = snapshot.Proxies.GroupBy(p => p.ProxyId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        return [.. Driver.Instances.Select(i => new FleetRow(i, proxies.GetValueOrDefault(i.ProxyId)))];
    }

    public IReadOnlyList<FleetWorkload> Workloads() => Driver is null ? [] :
        [.. Driver.Instances.Where(i => i.Role != ControlPlaneReplica.Role).GroupBy(i => (i.Service, i.Version)).Select(g => new FleetWorkload(g.Key.Service, g.Key.Version, g.First().Role, g.Count()))];

    public Task<FleetActionResult> StartAsync(string instanceId) => AsOperator((driver, actor) => driver.StartAsync(instanceId, actor));

    public Task<FleetActionResult> StopAsync(string instanceId) => AsOperator((driver, actor) => driver.StopAsync(instanceId, actor));

    public Task<FleetActionResult> RestartAsync(string instanceId) => AsOperator((driver, actor) => driver.RestartAsync(instanceId, actor));

    public Task<FleetActionResult> ScaleAsync(string service, string version, int instances) =>
        AsOperator((driver, actor) => driver.ScaleAsync(service, version, instances, actor));

    public Task<FleetActionResult> DeployAsync(DeployRequest request, IProgress<string> progress) =>
        AsOperator((driver, actor) => driver.DeployAsync(request, actor, progress));

    /// <summary>
    /// Deploy a version, declare it on its Service, then start <paramref name="rollout"/> if given: one
    /// progress line per step with its outcome. The declaration and rollout run only after the instances run.
    /// </summary>
    public async Task<FleetReleaseResult> ReleaseAsync(DeployRequest request, RolloutChoice? rollout, IProgress<string> progress)
    {
        var deployed = await DeployAsync(request, progress);
        if (!deployed.Succeeded) return new FleetReleaseResult(deployed, null, null);
        var declared = await release.DeclareVersionAsync(request.Service, request.Version);
        progress.Report(declared.Message);
        if (rollout is null) return new FleetReleaseResult(deployed, declared, null);
        var started = await release.StartRolloutAsync(rollout.Template, request.Service, rollout.StableVersion, request.Version);
        progress.Report(started.Message);
        return new FleetReleaseResult(deployed, declared, started);
    }

    private async Task<FleetActionResult> AsOperator(Func<IDeploymentDriver, Store.ChangeActor, Task<FleetActionResult>> action)
    {
        if (Driver is null) return FleetActionResult.Failed("The portal deploys nothing here: Portal:Fleet:ProxyPath and DemoAppsPath are not set.");
        if (!await user.CanAsync(PortalPolicies.EditTraffic)) return FleetActionResult.Failed("Only operators and admins change the fleet.");
        return await action(Driver, await user.ActorAsync());
    }
}
