using System.Globalization;
using k8s.Models;
using Meshwork.Model.Validation;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// What the Kubernetes driver writes and reads: the Deployment of a service version (labels that
/// select it, the injection annotation, the demo app container) and the Fleet page's view of a pod.
/// </summary>
public static class KubernetesWorkloads
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "meshwork-portal";
    public const string ServiceLabel = "app.kubernetes.io/name";
    public const string VersionLabel = "app.kubernetes.io/version";
    public const string RoleLabel = "meshwork.io/role";

    /// <summary>Asks the control plane's webhook for the proxy even where the namespace selector would not (the injector honours "false" only to skip).</summary>
    public const string InjectAnnotation = "meshwork.io/inject";
    public const string AppPortAnnotation = "meshwork.io/app-port";

    /// <summary>Names the Secret the injected sidecar reads its bootstrap token from (the webhook's PodIdentity.TokenSecretKey).</summary>
    public const string TokenSecretAnnotation = "meshwork.io/bootstrap-token-secret";

    /// <summary>The key of the token in that Secret: the control plane's default ControlPlane:Injection:BootstrapTokenSecretKey.</summary>
    public const string TokenSecretKey = "token";
    public const string AppContainer = "app";

    /// <summary>The container the control plane's webhook injects (SidecarInjector.ProxyContainerName).</summary>
    public const string ProxyContainer = "meshwork-proxy";
    public const int AppPort = 8080;

    /// <summary>Selects every pod and Deployment the driver made.</summary>
    public static string ManagedSelector => $"{ManagedByLabel}={ManagedBy}";

    public static string NameOf(string service, string version) => $"{service}-{version}";

    /// <summary>The Secret holding the bootstrap token of a service version's sidecars (one per Deployment).</summary>
    public static string TokenSecretNameOf(string service, string version) => $"{NameOf(service, version)}-bootstrap-token";

    public static string SelectorOf(string service, string version) => $"{ManagedSelector},{ServiceLabel}={service},{VersionLabel}={version}";

    /// <summary>The Deployment of a new service version: its pods run the demo app role and get the proxy injected.</summary>
    public static V1Deployment Deployment(DeployRequest request, string role, KubernetesDriverOptions options)
    {
        var labels = new Dictionary<string, string>
        {
            [ManagedByLabel] = ManagedBy,
            [ServiceLabel] = request.Service,
            [VersionLabel] = request.Version,
            [RoleLabel] = role,
        };
        var invariant = CultureInfo.InvariantCulture;
        var annotations = new Dictionary<string, string>
        {
            [InjectAnnotation] = "true",
            [AppPortAnnotation] = AppPort.ToString(invariant),
            [TokenSecretAnnotation] = TokenSecretNameOf(request.Service, request.Version),
        };
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = new V1ObjectMeta { Name = NameOf(request.Service, request.Version), NamespaceProperty = options.Namespace, Labels = labels },
            Spec = new V1DeploymentSpec
            {
                Replicas = request.Instances,
                Selector = new V1LabelSelector
                {
                    MatchLabels = new Dictionary<string, string> { [ManagedByLabel] = ManagedBy, [ServiceLabel] = request.Service, [VersionLabel] = request.Version },
                },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta
                    {
                        Labels = labels,
                        Annotations = annotations,
                    },
                    Spec = new V1PodSpec
                    {
                        Containers =
                        [
                            new V1Container
                            {
                                Name = AppContainer,
                                Image = options.DemoAppsImage,
                                ImagePullPolicy = options.ImagePullPolicy,
                                Args =
                                [
                                    role, "--urls", $"http://0.0.0.0:{AppPort}",
                                    "--Demo:Service", request.Service, "--Demo:Version", request.Version, "--Demo:Instance", "$(POD_NAME)",
                                    "--Demo:LatencyMs", request.LatencyMs.ToString(invariant), "--Demo:ErrorRate", request.ErrorRate.ToString(invariant),
                                ],
                                Env = [new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } }],
                                Ports = [new V1ContainerPort { Name = "http", ContainerPort = AppPort }],
                                ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/health", Port = AppPort } },
                                SecurityContext = new V1SecurityContext
                                {
                                    RunAsNonRoot = true,
                                    AllowPrivilegeEscalation = false,
                                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                                },
                            },
                        ],
                    },
                },
            },
        };
    }

    /// <summary>The Secret with a freshly issued bootstrap token for the version's sidecars, labelled as the driver's.</summary>
    public static V1Secret TokenSecret(string service, string version, string token, KubernetesDriverOptions options) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = "Opaque",
        Metadata = new V1ObjectMeta
        {
            Name = TokenSecretNameOf(service, version),
            NamespaceProperty = options.Namespace,
            Labels = new Dictionary<string, string> { [ManagedByLabel] = ManagedBy, [ServiceLabel] = service, [VersionLabel] = version },
        },
        Data = new Dictionary<string, byte[]> { [TokenSecretKey] = System.Text.Encoding.UTF8.GetBytes(token) },
    };

    /// <summary>The Fleet page's row for a pod the driver made; null (with why) when its labels are not a service version's.</summary>
    public static (WorkloadInstance? Instance, string? Problem) View(V1Pod pod, string meshNamespace)
    {
        var name = pod.Metadata?.Name;
        var labels = pod.Metadata?.Labels;
        string? Label(string key) => labels is not null && labels.TryGetValue(key, out var value) ? value : null;
        var service = Label(ServiceLabel);
        var version = Label(VersionLabel);
        if (name is null) return (null, "a pod without a name");
        if (!IdentityNames.IsDnsLabel(service)) return (null, $"pod {name}: label {ServiceLabel} '{service}' is not a service name");
        if (!IdentityNames.IsDnsLabel(version)) return (null, $"pod {name}: label {VersionLabel} '{version}' is not a version name");

        var statuses = pod.Status?.ContainerStatuses ?? [];
        var waiting = statuses.Where(s => s.State?.Waiting is not null).ToList();
        var crashLooping = waiting.FirstOrDefault(s => s.State!.Waiting.Reason == "CrashLoopBackOff");
        var ready = pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
        var state = pod.Metadata?.DeletionTimestamp is not null ? InstanceState.Stopped
            : crashLooping is not null ? InstanceState.CrashLooping
            : ready ? InstanceState.Running
            : InstanceState.Starting;
        var lastError = (crashLooping ?? waiting.FirstOrDefault(s => s.State!.Waiting.Reason is not (null or "ContainerCreating" or "PodInitializing"))) is { } problem
            ? $"container {problem.Name}: {problem.State!.Waiting.Reason}{(string.IsNullOrEmpty(problem.State.Waiting.Message) ? "" : ": " + problem.State.Waiting.Message)}"
            : null;
        return (new WorkloadInstance(
            Id: name,
            Role: Label(RoleLabel) ?? "",
            Namespace: meshNamespace,
            Service: service!,
            Version: version!,
            State: state,
            AppPid: null,
            SidecarPid: null,
            StartedAt: pod.Status?.StartTime is { } started ? new DateTimeOffset(DateTime.SpecifyKind(started, DateTimeKind.Utc)) : null,
            Restarts: statuses.Sum(s => s.RestartCount),
            // The injected proxy registers as its pod's name (the webhook's ProxyId).
            ProxyId: name,
            AppPort: AppPort,
            AdminPort: 0,
            InboundPort: 0,
            OutboundPort: 0,
            LastError: lastError), null);
    }
}
