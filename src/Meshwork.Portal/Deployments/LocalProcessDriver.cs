using System.Net;
using Meshwork.Store;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// The embedded deployment driver: each instance is a demo app plus its own sidecar as local
/// processes on loopback ports from Portal:Fleet:PortRange*, supervised by one loop (crash → restart
/// with backoff; a crash loop shows as such). Instances live in folders under
/// Portal:Fleet:StateDirectory, so a new portal re-adopts the processes still running (pid, kernel
/// start time, command line) instead of starting duplicates. The portal's shutdown stops what runs
/// unless Portal:Fleet:KeepRunningOnShutdown. Every operator action is audited (<see cref="FleetAuditLog"/>)
/// and each new batch of sidecars joins with a bootstrap token issued for the action, as its actor.
/// With Portal:Fleet:ControlPlane:Path set it runs the control plane replicas the same way
/// (<see cref="ControlPlaneReplica"/>): started first, stopped last. With
/// Portal:Fleet:Local:NetworkNamespaces:Enabled each new instance runs in its own network namespace with
/// the proxy's nat rules (<see cref="InstancePlacement"/>), made before its processes start and removed with it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LocalProcessDriver : BackgroundService, IDeploymentDriver
{
    /// <summary>Instances of one service version the driver starts at most (a loopback demo, not a cluster).</summary>
    public const int MaxInstancesPerVersion = DeployRequest.MaxInstances;

    private const string Namespace = "default";
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);

    private readonly FleetOptions options;
    private readonly NetworkNamespaceOptions namespaces;
    private readonly NetworkNamespaceLauncher networks = new();
    private readonly LocalFleetBinaries binaries;
    private readonly IServiceScopeFactory scopes;
    private readonly TimeProvider time;
    private readonly ILogger<LocalProcessDriver> logger;
    private readonly string root;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, LocalInstance> instances = new(StringComparer.Ordinal);
    private readonly ManagedControlPlanes? controlPlanes;
    private readonly List<ControlPlaneReplica> replicas = [];
    private IReadOnlyList<WorkloadInstance> views = [];

    public LocalProcessDriver(FleetOptions options, LocalFleetBinaries binaries, IServiceScopeFactory scopes, TimeProvider time, ILogger<LocalProcessDriver> logger,
        ManagedControlPlanes? controlPlanes = null)
    {
        this.controlPlanes = controlPlanes;
        this.options = options;
        namespaces = options.Local.NetworkNamespaces;
        this.binaries = binaries;
        this.scopes = scopes;
        this.time = time;
        this.logger = logger;
        root = Path.GetFullPath(options.StateDirectory);
    }

    public string Description => $"local processes (state in {root})";

    public IReadOnlyList<WorkloadInstance> Instances => views;

    public event Action? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await gate.WaitAsync(stoppingToken);
            try
            {
                await LoadAsync(stoppingToken);
            }
            finally
            {
                gate.Release();
            }
            loaded.TrySetResult();
        }
        catch (Exception ex)
        {
            loaded.TrySetException(ex);
            throw;
        }
        using var timer = new PeriodicTimer(Tick, time);
        try
        {
            do
            {
                await SuperviseAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (options.KeepRunningOnShutdown)
        {
            logger.LogInformation("Portal stopping: {Count} fleet instances left running (Portal:Fleet:KeepRunningOnShutdown)", instances.Count);
            return;
        }
        await gate.WaitAsync(cancellationToken);
        try
        {
            // Stopped, not marked stopped: the next portal start brings them back. The control plane last:
            // it hears every sidecar's Goodbye.
            await Task.WhenAll(instances.Values.Select(i => i.StopProcessesAsync(cancellationToken)));
            await Task.WhenAll(replicas.Select(r => r.StopProcessesAsync(cancellationToken)));
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Reads every instance folder and re-adopts its live processes; the loop starts the rest.</summary>
    private async Task LoadAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        for (var replica = 1; controlPlanes is not null && replica <= controlPlanes.Replicas; replica++)
        {
            var controlPlane = new ControlPlaneReplica(replica, controlPlanes, root, options, time);
            replicas.Add(controlPlane);
            if (controlPlane.Process.TryAdopt())
                logger.LogInformation("Re-adopted control plane replica {Replica} (pid {Pid})", controlPlane.Id, controlPlane.Process.Pid);
        }
        foreach (var folder in Directory.EnumerateDirectories(root))
        {
            if (!File.Exists(Path.Combine(folder, InstanceSpec.FileName))) continue;
            var spec = InstanceSpec.Load(folder);
            var instance = new LocalInstance(spec, folder, binaries, options, time, PlacementOf(spec));
            var adopted = instance.App.TryAdopt() | instance.Sidecar.TryAdopt();
            instances[instance.Spec.Id] = instance;
            if (adopted)
                logger.LogInformation("Re-adopted fleet instance {Instance} (app pid {AppPid}, sidecar pid {SidecarPid})",
                    instance.Spec.Id, instance.App.Pid, instance.Sidecar.Pid);
        }
        await PrepareNetworksAsync(ct);
        Publish();
    }

    /// <summary>
    /// At start: every namespaced instance gets its namespace back (kept when it is there: re-adopted processes
    /// live in it) with its nat rules, and namespaces of ours no instance holds any more are removed.
    /// </summary>
    private async Task PrepareNetworksAsync(CancellationToken ct)
    {
        var namespaced = instances.Values.Where(i => i.Placement.Network is not null).ToList();
        if (!namespaces.Enabled && namespaced.Count == 0) return;
        var present = (await networks.ListInstancesAsync(ct)).ToHashSet(StringComparer.Ordinal);
        foreach (var instance in namespaced)
        {
            try
            {
                await ProvideNetworkAsync(instance.Spec, instance.Placement.Network!, create: !present.Contains(instance.Id), ct);
            }
            catch (InvalidOperationException ex)
            {
                // Its processes then fail to start and show as crash-looping, with this in the portal's log.
                logger.LogWarning(ex, "The network namespace of fleet instance {Instance} could not be prepared", instance.Id);
            }
        }
        if (!namespaces.Enabled) return;
        var stale = await networks.RemoveStaleAsync(namespaced.Select(i => i.Id).ToHashSet(StringComparer.Ordinal), Pool, ct);
        if (stale.Count > 0)
            logger.LogInformation("Removed the network namespaces of {Count} instances no longer deployed: {Instances}", stale.Count, string.Join(", ", stale));
    }

    /// <summary>Creates the namespace (when <paramref name="create"/>), installs its nat rules with the proxy's init-iptables and writes its hosts file.</summary>
    private async Task ProvideNetworkAsync(InstanceSpec spec, InstanceNetwork network, bool create, CancellationToken ct)
    {
        if (create) await networks.CreateAsync(network, ct);
        try
        {
            await NetworkNamespaceLauncher.InstallInterceptionAsync(network, binaries.Proxy.With([]), spec.OutboundPort, spec.InboundPort, spec.AppPort, namespaces.ProxyGid, ct);
            // The shop roles call each other by service name (once through HTTP_PROXY): the names must resolve here.
            await networks.WriteHostsAsync(network, DemoRoles.Shop, ct);
        }
        catch when (create)
        {
            await networks.RemoveAsync(network, CancellationToken.None);
            throw;
        }
    }

    /// <summary>A new instance's placement; an id too long to name a namespace is refused as the deploy's error.</summary>
    private InstancePlacement NewPlacement(InstanceSpec spec)
    {
        try
        {
            return PlacementOf(spec);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{NetworkNamespaceOptions.Section}: {ex.Message}", ex);
        }
    }

    private IPNetwork Pool => namespaces.Pool ?? throw new InvalidOperationException($"{NetworkNamespaceOptions.Section}:Subnet '{namespaces.Subnet}' is not an IPv4 /16 network");

    private InstancePlacement PlacementOf(InstanceSpec spec) =>
        spec.NetworkBlock is { } block ? new InstancePlacement(InstanceNetwork.For(spec.Id, Pool, block), namespaces.ProxyGid) : InstancePlacement.Loopback;

    private async Task SuperviseAsync(CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            var results = await Task.WhenAll(Members.Select(async i =>
            {
                try
                {
                    return await i.CheckAsync(ct);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    logger.LogWarning(ex, "Supervising fleet member {Member} failed; retrying", i.Id);
                    return false;
                }
            }));
            if (results.Any(r => r)) Publish();
        }
        finally
        {
            gate.Release();
        }
    }

    public Task<FleetActionResult> StartAsync(string instanceId, ChangeActor actor, CancellationToken ct = default) =>
        OnMemberAsync(instanceId, ChangeAction.Start, actor, async instance =>
        {
            if (instance.Running) return FleetActionResult.Failed($"{instanceId} is already started");
            instance.ClearCrashes();
            instance.SetRunning(true);
            await Task.CompletedTask;
            return FleetActionResult.Success;
        }, ct);

    public Task<FleetActionResult> StopAsync(string instanceId, ChangeActor actor, CancellationToken ct = default) =>
        OnMemberAsync(instanceId, ChangeAction.Stop, actor, async instance =>
        {
            if (!instance.Running) return FleetActionResult.Failed($"{instanceId} is already stopped");
            instance.SetRunning(false);
            await instance.StopProcessesAsync(ct);
            return FleetActionResult.Success;
        }, ct);

    public Task<FleetActionResult> RestartAsync(string instanceId, ChangeActor actor, CancellationToken ct = default) =>
        OnMemberAsync(instanceId, ChangeAction.Restart, actor, async instance =>
        {
            await instance.StopProcessesAsync(ct);
            instance.ClearCrashes();
            instance.SetRunning(true);
            return FleetActionResult.Success;
        }, ct);

    private async Task<FleetActionResult> OnMemberAsync(string instanceId, ChangeAction action, ChangeActor actor,
        Func<IFleetMember, Task<FleetActionResult>> act, CancellationToken ct)
    {
        await loaded.Task.WaitAsync(ct);
        FleetActionResult result;
        await gate.WaitAsync(ct);
        try
        {
            if (Members.FirstOrDefault(m => m.Id == instanceId) is not { } instance)
                return FleetActionResult.Failed($"instance: no instance '{instanceId}' is deployed here");
            result = await act(instance);
            if (result.Succeeded)
                await AuditAsync(action, instanceId, instance.AuditDetails, actor, ct);
            Publish();
        }
        finally
        {
            gate.Release();
        }
        return result;
    }

    public async Task<FleetActionResult> ScaleAsync(string service, string version, int count, ChangeActor actor, CancellationToken ct = default)
    {
        if (count is < 0 or > MaxInstancesPerVersion)
            return FleetActionResult.Failed($"instances: must be 0 to {MaxInstancesPerVersion} (got {count})");
        await loaded.Task.WaitAsync(ct);
        await gate.WaitAsync(ct);
        try
        {
            var current = Of(service, version);
            if (current.Count == 0)
                return FleetActionResult.Failed($"service: {service} {version} is not deployed here; deploy it first");
            var before = current.Count;
            if (count > before)
            {
                var template = current[0].Spec;
                await AddInstancesAsync(template.Service, template.Version, template.Role, count - before, template.LatencyMs, template.ErrorRate, actor, ct);
            }
            foreach (var extra in current.OrderByDescending(i => i.Spec.Index).Take(Math.Max(before - count, 0)))
            {
                await extra.StopProcessesAsync(ct);
                instances.Remove(extra.Spec.Id);
                Directory.Delete(extra.Folder, recursive: true);
                if (extra.Placement.Network is { } network) await networks.RemoveAsync(network, ct);
            }
            await AuditAsync(ChangeAction.Scale, $"{service}/{version}", new { service, version, from = before, to = count }, actor, ct);
            Publish();
        }
        catch (Exception ex) when (ex is InvalidOperationException or BootstrapTokenRequestException)
        {
            Publish();
            return FleetActionResult.Failed(ex.Message);
        }
        finally
        {
            gate.Release();
        }
        return FleetActionResult.Success;
    }

    public async Task<FleetActionResult> DeployAsync(DeployRequest request, ChangeActor actor, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var errors = request.Problems();
        if (errors.Count > 0) return new FleetActionResult(false, errors);
        await loaded.Task.WaitAsync(ct);
        var role = request.Role ?? DemoRoles.For(request.Service);
        IReadOnlyList<string> ids;
        await gate.WaitAsync(ct);
        try
        {
            if (Of(request.Service, request.Version).Count > 0)
                return FleetActionResult.Failed($"version: {request.Service} {request.Version} is deployed already; scale it instead");
            progress?.Report($"Issuing a bootstrap token and starting {request.Instances} instance(s) of {request.Service} {request.Version}");
            ids = await AddInstancesAsync(request.Service, request.Version, role, request.Instances, request.LatencyMs, request.ErrorRate, actor, ct);
            await AuditAsync(ChangeAction.Deploy, $"{request.Service}/{request.Version}",
                new { request.Service, request.Version, role, request.Instances, request.LatencyMs, request.ErrorRate, ids }, actor, ct);
            Publish();
        }
        catch (Exception ex) when (ex is InvalidOperationException or BootstrapTokenRequestException)
        {
            Publish();
            return FleetActionResult.Failed(ex.Message);
        }
        finally
        {
            gate.Release();
        }
        return await WaitRunningAsync(ids, progress, ct);
    }

    /// <summary>Waits (reporting each state change) until every new instance runs, or the start timeout.</summary>
    private async Task<FleetActionResult> WaitRunningAsync(IReadOnlyList<string> ids, IProgress<string>? progress, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + options.StartTimeout;
        var last = new Dictionary<string, InstanceState>();
        while (true)
        {
            var states = views.Where(v => ids.Contains(v.Id)).ToDictionary(v => v.Id);
            foreach (var (id, view) in states)
            {
                if (last.GetValueOrDefault(id, (InstanceState)(-1)) == view.State) continue;
                last[id] = view.State;
                progress?.Report($"{id}: {view.State.ToString().ToLowerInvariant()}");
            }
            if (ids.All(id => states.TryGetValue(id, out var v) && v.State == InstanceState.Running))
                return FleetActionResult.Success;
            var failed = states.Values.Where(v => v.State == InstanceState.CrashLooping).ToList();
            if (failed.Count > 0)
                return new FleetActionResult(false, [.. failed.Select(v => $"{v.Id} is crash-looping: {v.LastError ?? "see its log"}")]);
            if (time.GetUtcNow() > deadline)
                return new FleetActionResult(false, [.. ids.Where(id => !states.TryGetValue(id, out var v) || v.State != InstanceState.Running)
                    .Select(id => $"{id} is not running after {options.StartTimeout.TotalSeconds:0} s (it keeps being supervised; see its log)")]);
            await Task.Delay(Tick, time, ct);
        }
    }

    /// <summary>New instances (folders, ports, one bootstrap token for the batch); the loop starts them. Call under the gate.</summary>
    private async Task<IReadOnlyList<string>> AddInstancesAsync(string service, string version, string role, int count, int latencyMs, double errorRate,
        ChangeActor actor, CancellationToken ct)
    {
        string token;
        await using (var scope = scopes.CreateAsyncScope())
        {
            token = (await scope.ServiceProvider.GetRequiredService<BootstrapTokenService>()
                .IssueAsync($"portal fleet {service} {version}", service, Namespace, validFor: null, actor, ct: ct)).Secret;
        }
        var taken = instances.Values.SelectMany(i => new[] { i.Spec.AppPort, i.Spec.AdminPort, i.Spec.InboundPort, i.Spec.OutboundPort }).ToHashSet();
        var blocks = instances.Values.Select(i => i.Spec.NetworkBlock).OfType<int>().ToHashSet();
        var used = Of(service, version).Select(i => i.Spec.Index).ToHashSet();
        var ids = new List<string>();
        for (var index = 1; ids.Count < count; index++)
        {
            if (used.Contains(index)) continue;
            var ports = PortAllocator.Allocate(4, options.PortRangeStart, options.PortRangeEnd, taken);
            taken.UnionWith(ports);
            var spec = new InstanceSpec
            {
                Id = InstanceSpec.IdFor(service, version, index), Role = role, Namespace = Namespace, Service = service, Version = version,
                Index = index, AppPort = ports[0], AdminPort = ports[1], InboundPort = ports[2], OutboundPort = ports[3],
                LatencyMs = latencyMs, ErrorRate = errorRate,
                NetworkBlock = namespaces.Enabled ? InstanceNetwork.FreeBlock(blocks) : null,
            };
            var placement = NewPlacement(spec);
            if (placement.Network is { } network)
            {
                // Before its processes exist: they start inside it.
                await ProvideNetworkAsync(spec, network, create: true, ct);
                blocks.Add(network.Block);
            }
            var folder = Path.Combine(root, spec.Id);
            LocalInstance.Prepare(spec, folder, token);
            instances[spec.Id] = new LocalInstance(spec, folder, binaries, options, time, placement);
            ids.Add(spec.Id);
        }
        return ids;
    }

    public async Task<string?> ReadLogAsync(string instanceId, string process, int maxBytes, CancellationToken ct = default)
    {
        await loaded.Task.WaitAsync(ct);
        ProcessLog? log;
        await gate.WaitAsync(ct);
        try
        {
            log = Members.FirstOrDefault(m => m.Id == instanceId)?.LogOf(process);
        }
        finally
        {
            gate.Release();
        }
        return log is null ? null : await log.TailAsync(maxBytes, ct);
    }

    /// <summary>The control plane replicas first (started first), then the workload instances.</summary>
    private IEnumerable<IFleetMember> Members => replicas.Concat<IFleetMember>(instances.Values);

    private List<LocalInstance> Of(string service, string version) =>
        [.. instances.Values.Where(i => i.Spec.Service == service && i.Spec.Version == version)];

    private async Task AuditAsync(ChangeAction action, string name, object details, ChangeActor actor, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<FleetAuditLog>().RecordAsync(action, Namespace, name, details, actor, ct);
    }

    /// <summary>Refreshes <see cref="Instances"/> and tells subscribers; call under the gate.</summary>
    private void Publish()
    {
        views = [.. replicas.Select(r => r.View()), .. instances.Values.Select(i => i.View())
            .OrderBy(v => v.Service, StringComparer.Ordinal).ThenBy(v => v.Version, StringComparer.Ordinal).ThenBy(v => v.Id, StringComparer.Ordinal)];
        Changed?.Invoke();
    }

    public override void Dispose()
    {
        gate.Dispose();
        base.Dispose();
    }
}
