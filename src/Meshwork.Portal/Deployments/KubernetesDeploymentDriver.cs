using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Meshwork.Store;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// The deployment driver for clusters (Portal:Fleet:Driver = Kubernetes): each service version is a
/// Deployment in Portal:Fleet:Kubernetes:Namespace whose pods get the proxy from the control plane's
/// injection webhook; the instances are its pods, listed from the API server every StatusInterval and
/// after each action. Deploy creates the Deployment, Scale patches its replicas (0 keeps it, with no
/// pods), Restart deletes the pod (its Deployment starts a fresh one). A single pod of a Deployment
/// cannot be stopped or started (its ReplicaSet would replace it): those are refused, naming Scale.
/// Before new pods are asked for (deploy, scale up, restart) a bootstrap token is issued as the actor
/// and written to the version's Secret (<see cref="KubernetesWorkloads.TokenSecretNameOf"/>), which the
/// pod template names for the injected sidecar. Logs come from the API server's pod log.
/// Every action is audited as its actor (<see cref="FleetAuditLog"/>).
/// </summary>
public sealed class KubernetesDeploymentDriver(
    KubernetesDriverOptions options,
    IKubernetes client,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<KubernetesDeploymentDriver> logger) : BackgroundService, IDeploymentDriver
{
    private readonly SemaphoreSlim refreshGate = new(1, 1);
    private IReadOnlyList<WorkloadInstance> views = [];
    private string? lastRefreshProblem;

    public static IKubernetes CreateClient(KubernetesDriverOptions settings) =>
        new Kubernetes(settings.KubeConfigFile.Length > 0
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(settings.KubeConfigFile)
            : KubernetesClientConfiguration.InClusterConfig());

    public string Description => $"Kubernetes namespace {options.Namespace}";

    public IReadOnlyList<WorkloadInstance> Instances => views;

    public event Action? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.StatusInterval, time);
        try
        {
            do
            {
                await RefreshAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Lists the driver's pods; while the API server cannot be reached the last list stays (logged once).</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await refreshGate.WaitAsync(ct);
        try
        {
            var pods = await client.CoreV1.ListNamespacedPodAsync(options.Namespace, labelSelector: KubernetesWorkloads.ManagedSelector, cancellationToken: ct);
            var next = new List<WorkloadInstance>();
            foreach (var pod in pods.Items ?? [])
            {
                var (view, problem) = KubernetesWorkloads.View(pod, options.Namespace);
                if (view is not null) next.Add(view);
                else logger.LogWarning("Kubernetes driver: {Problem}; not shown", problem);
            }
            views = [.. next.OrderBy(v => v.Service, StringComparer.Ordinal).ThenBy(v => v.Version, StringComparer.Ordinal).ThenBy(v => v.Id, StringComparer.Ordinal)];
            if (lastRefreshProblem is not null) logger.LogInformation("Kubernetes driver: pods of {Namespace} listed again", options.Namespace);
            lastRefreshProblem = null;
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or KubernetesException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            if (lastRefreshProblem is null) logger.LogWarning("Kubernetes driver: pods of {Namespace} not listed ({Message}); showing the last list", options.Namespace, ex.Message);
            lastRefreshProblem = ex.Message;
        }
        finally
        {
            refreshGate.Release();
        }
        Changed?.Invoke();
    }

    public Task<FleetActionResult> StartAsync(string instanceId, ChangeActor actor, CancellationToken ct = default) =>
        Task.FromResult(FleetActionResult.Failed(
            $"instance: a pod of a Kubernetes Deployment cannot be started on its own; scale its service version to add pods ({instanceId})"));

    public Task<FleetActionResult> StopAsync(string instanceId, ChangeActor actor, CancellationToken ct = default) =>
        Task.FromResult(FleetActionResult.Failed(
            $"instance: a pod of a Kubernetes Deployment cannot be stopped on its own (its ReplicaSet replaces it); scale its service version down instead ({instanceId})"));

    public async Task<FleetActionResult> RestartAsync(string instanceId, ChangeActor actor, CancellationToken ct = default)
    {
        if (views.FirstOrDefault(v => v.Id == instanceId) is not { } instance)
            return FleetActionResult.Failed($"instance: no pod '{instanceId}' of this driver in namespace {options.Namespace}");
        return await ActAsync(async () =>
        {
            await WriteTokenSecretAsync(instance.Service, instance.Version, actor, ct);
            await client.CoreV1.DeleteNamespacedPodAsync(instanceId, options.Namespace, cancellationToken: ct);
            await AuditAsync(ChangeAction.Restart, instanceId, new { instance = instanceId, instance.Service, instance.Version, instance.ProxyId }, actor, ct);
        }, $"restart {instanceId}", ct);
    }

    public async Task<FleetActionResult> ScaleAsync(string service, string version, int instances, ChangeActor actor, CancellationToken ct = default)
    {
        if (instances is < 0 or > DeployRequest.MaxInstances)
            return FleetActionResult.Failed($"instances: must be 0 to {DeployRequest.MaxInstances} (got {instances})");
        var name = KubernetesWorkloads.NameOf(service, version);
        return await ActAsync(async () =>
        {
            V1Deployment deployment;
            try
            {
                deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, options.Namespace, cancellationToken: ct);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new FleetActionRefused($"service: {service} {version} is not deployed here (no Deployment {name}); deploy it first");
            }
            if (deployment.Metadata?.Labels?.TryGetValue(KubernetesWorkloads.ManagedByLabel, out var manager) != true || manager != KubernetesWorkloads.ManagedBy)
                throw new FleetActionRefused($"service: Deployment {name} is not the portal's ({KubernetesWorkloads.ManagedSelector}); it is left alone");
            var before = deployment.Spec?.Replicas ?? 1;
            if (instances > before) await WriteTokenSecretAsync(service, version, actor, ct);
            var patch = new V1Patch(new JsonObject { ["spec"] = new JsonObject { ["replicas"] = instances } }.ToJsonString(), V1Patch.PatchType.MergePatch);
            await client.AppsV1.PatchNamespacedDeploymentAsync(patch, name, options.Namespace, cancellationToken: ct);
            await AuditAsync(ChangeAction.Scale, $"{service}/{version}", new { service, version, from = before, to = instances }, actor, ct);
        }, $"scale {name}", ct);
    }

    public async Task<FleetActionResult> DeployAsync(DeployRequest request, ChangeActor actor, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var errors = request.Problems();
        if (errors.Count > 0) return new FleetActionResult(false, errors);
        var role = request.Role ?? DemoRoles.For(request.Service);
        var deployment = KubernetesWorkloads.Deployment(request, role, options);
        progress?.Report($"Creating Deployment {deployment.Metadata.Name} ({request.Instances} pod(s)) in namespace {options.Namespace}");
        var created = await ActAsync(async () =>
        {
            // The token first: a pod whose Secret is missing waits in CreateContainerConfigError.
            await WriteTokenSecretAsync(request.Service, request.Version, actor, ct);
            try
            {
                await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, options.Namespace, cancellationToken: ct);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
            {
                throw new FleetActionRefused($"version: {request.Service} {request.Version} is deployed already; scale it instead");
            }
            await AuditAsync(ChangeAction.Deploy, $"{request.Service}/{request.Version}",
                new { request.Service, request.Version, role, request.Instances, request.LatencyMs, request.ErrorRate, deployment = deployment.Metadata.Name }, actor, ct);
        }, $"deploy {deployment.Metadata.Name}", ct);
        return created.Succeeded ? await WaitRunningAsync(request, progress, ct) : created;
    }

    /// <summary>Waits (reporting each pod's state as it changes) until the version has its pods running, or the start timeout.</summary>
    private async Task<FleetActionResult> WaitRunningAsync(DeployRequest request, IProgress<string>? progress, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + options.StartTimeout;
        var last = new Dictionary<string, InstanceState>();
        while (true)
        {
            var pods = views.Where(v => v.Service == request.Service && v.Version == request.Version).ToList();
            foreach (var pod in pods.Where(p => last.GetValueOrDefault(p.Id, (InstanceState)(-1)) != p.State))
            {
                last[pod.Id] = pod.State;
                progress?.Report($"{pod.Id}: {pod.State.ToString().ToLowerInvariant()}");
            }
            var running = pods.Count(p => p.State == InstanceState.Running);
            if (running >= request.Instances) return FleetActionResult.Success;
            if (pods.Where(p => p.State == InstanceState.CrashLooping).ToList() is [_, ..] failed)
                return new FleetActionResult(false, [.. failed.Select(p => $"{p.Id} is crash-looping: {p.LastError ?? "see kubectl logs"}")]);
            if (time.GetUtcNow() > deadline)
                return FleetActionResult.Failed($"{request.Service} {request.Version}: {running} of {request.Instances} pod(s) ready after {options.StartTimeout.TotalSeconds:0} s (they keep starting; see kubectl describe)");
            await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            await RefreshAsync(ct);
        }
    }

    /// <summary>
    /// The last <paramref name="maxBytes"/> of the pod's container log ("app", or "sidecar" for the injected
    /// proxy) from the API server, whose log API counts lines from the end, not bytes: the last lines are
    /// asked for and trimmed here. Null when the driver has no such pod; the API server's refusal (a
    /// container not started yet) is the text.
    /// </summary>
    public async Task<string?> ReadLogAsync(string instanceId, string process, int maxBytes, CancellationToken ct = default)
    {
        var container = process switch
        {
            "app" => KubernetesWorkloads.AppContainer,
            "sidecar" => KubernetesWorkloads.ProxyContainer,
            _ => null,
        };
        if (container is null || views.All(v => v.Id != instanceId)) return null;
        try
        {
            // Asked for by lines: a guess at how many fill maxBytes, four times more while the log has
            // more and they did not (no line is under a byte, so maxBytes lines always do).
            for (var lines = Math.Max(16, maxBytes / 80); ; lines = (int)Math.Min(maxBytes, lines * 4L))
            {
                await using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(instanceId, options.Namespace, container: container,
                    tailLines: lines, cancellationToken: ct);
                using var reader = new StreamReader(stream);
                var text = await reader.ReadToEndAsync(ct);
                if (text.Length >= maxBytes) return text[^maxBytes..];
                if (text.Count(c => c == '\n') < lines || lines >= maxBytes) return text;
            }
        }
        catch (HttpOperationException ex)
        {
            return $"(no {process} log from the Kubernetes API server: {(int)ex.Response.StatusCode} {ex.Response.ReasonPhrase})";
        }
    }

    /// <summary>Runs one API action: a refusal or an API error becomes the result, and the instances are listed again either way.</summary>
    private async Task<FleetActionResult> ActAsync(Func<Task> act, string what, CancellationToken ct)
    {
        FleetActionResult result;
        try
        {
            await act();
            result = FleetActionResult.Success;
        }
        catch (FleetActionRefused refused)
        {
            result = FleetActionResult.Failed(refused.Message);
        }
        catch (HttpOperationException ex)
        {
            logger.LogWarning("Kubernetes driver: {What} failed: {Status} {Body}", what, ex.Response.StatusCode, ex.Response.Content);
            result = FleetActionResult.Failed($"{what}: the Kubernetes API server answered {(int)ex.Response.StatusCode} {ex.Response.ReasonPhrase}");
        }
        catch (HttpRequestException ex)
        {
            result = FleetActionResult.Failed($"{what}: the Kubernetes API server cannot be reached ({ex.Message})");
        }
        catch (BootstrapTokenRequestException ex)
        {
            result = FleetActionResult.Failed($"{what}: no bootstrap token for its sidecars ({ex.Message})");
        }
        await RefreshAsync(ct);
        return result;
    }

    /// <summary>
    /// Issues a bootstrap token for the version's next pods (as the actor, audited with the token) and writes it to
    /// the version's Secret, creating it or replacing its token. Tokens are short-lived (BootstrapTokens:DefaultLifetime):
    /// a pod the ReplicaSet makes on its own after that joins only once an action here writes a fresh one.
    /// </summary>
    private async Task WriteTokenSecretAsync(string service, string version, ChangeActor actor, CancellationToken ct)
    {
        string token;
        await using (var scope = scopes.CreateAsyncScope())
        {
            token = (await scope.ServiceProvider.GetRequiredService<BootstrapTokenService>()
                .IssueAsync($"portal fleet {service} {version}", service, options.Namespace, validFor: null, actor, ct: ct)).Secret;
        }
        var secret = KubernetesWorkloads.TokenSecret(service, version, token, options);
        try
        {
            await client.CoreV1.CreateNamespacedSecretAsync(secret, options.Namespace, cancellationToken: ct);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var data = new JsonObject { [KubernetesWorkloads.TokenSecretKey] = Convert.ToBase64String(secret.Data[KubernetesWorkloads.TokenSecretKey]) };
            var patch = new V1Patch(new JsonObject { ["data"] = data }.ToJsonString(), V1Patch.PatchType.MergePatch);
            await client.CoreV1.PatchNamespacedSecretAsync(patch, secret.Metadata.Name, options.Namespace, cancellationToken: ct);
        }
    }

    private async Task AuditAsync(ChangeAction action, string name, object details, ChangeActor actor, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<FleetAuditLog>().RecordAsync(action, options.Namespace, name, details, actor, ct);
    }

    public override void Dispose()
    {
        refreshGate.Dispose();
        base.Dispose();
    }

    /// <summary>A request the cluster's state makes impossible; its message names the field.</summary>
    private sealed class FleetActionRefused(string message) : Exception(message);
}
