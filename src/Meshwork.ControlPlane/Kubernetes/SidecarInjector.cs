using System.Text.Json.Nodes;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson;

namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>What the webhook does with one pod.</summary>
public abstract record InjectionDecision
{
    /// <summary>Admitted unchanged (opted out, already injected, not a pod creation).</summary>
    public sealed record Skip(string Reason) : InjectionDecision;

    /// <summary>Refused: its namespace asked for injection but the pod cannot get a proxy as written.</summary>
    public sealed record Deny(string Message) : InjectionDecision;

    public sealed record Inject(PodIdentity Identity, JsonPatchDocument Patch) : InjectionDecision;
}

/// <summary>
/// Turns a pod into one with the Meshwork proxy as a sidecar, as docker/k8s/orders-example.yaml is
/// written by hand: the proxy container (its settings, the bootstrap token by Secret reference, a
/// restricted security context, probes from inside since its admin port is loopback-only), a private
/// emptyDir for its state, HTTP_PROXY/NO_PROXY for the app containers, and an annotation that makes a
/// second pass a no-op. The answer is a JSON Patch of "add" operations only: nothing of the pod is
/// removed or replaced.
/// </summary>
public static class SidecarInjector
{
    public const string ProxyContainerName = "meshwork-proxy";
    public const string InitContainerName = "meshwork-init";
    public const string InterceptAnnotation = "meshwork.io/intercept";
    public const string InjectAnnotation = "meshwork.io/inject";
    public const string InjectedAnnotation = "meshwork.io/injected";
    public const string StateVolume = "meshwork-proxy-state";
    public const string TmpVolume = "meshwork-proxy-tmp";
    public const string TrustVolume = "meshwork-trust-bundle";
    public const string TrustDirectory = "/var/run/meshwork/trust";
    public const string TrustBundleFile = TrustDirectory + "/trust-bundle.pem";

    public static InjectionDecision Decide(AdmissionRequest request, InjectionOptions options)
    {
        if (request.Pod is not { } pod) return new InjectionDecision.Skip($"{request.Operation} of a {request.Kind}: only pod creations are injected");
        var annotations = pod["metadata"]?["annotations"] as JsonObject;
        if (annotations?[InjectAnnotation]?.GetValue<string>() is "false") return new InjectionDecision.Skip($"annotated {InjectAnnotation}: \"false\"");
        var containers = pod["spec"]!["containers"]!.AsArray();
        if (annotations?[InjectedAnnotation] is not null || containers.Any(c => c!["name"]!.GetValue<string>() == ProxyContainerName))
            return new InjectionDecision.Skip("already injected");

        var (identity, problem) = PodIdentity.Resolve(pod, request.Namespace, options);
        if (identity is null) return new InjectionDecision.Deny($"meshwork: cannot inject the proxy: {problem}");
        var volumes = pod["spec"]!["volumes"] as JsonArray;
        if (volumes?.FirstOrDefault(v => v!["name"]!.GetValue<string>() is StateVolume or TmpVolume or TrustVolume) is { } taken)
            return new InjectionDecision.Deny($"meshwork: cannot inject the proxy: the pod already has a volume named {taken["name"]}, which the proxy needs");

        var intercept = options.Interception;
        if (annotations?[InterceptAnnotation]?.GetValue<string>() is { } interceptValue)
        {
            if (interceptValue is not ("true" or "false"))
                return new InjectionDecision.Deny($"meshwork: cannot inject the proxy: annotation {InterceptAnnotation} is \"{interceptValue}\"; it must be \"true\" or \"false\"");
            intercept = interceptValue == "true";
        }
        // The review reader does not check init containers: read their names defensively.
        if (intercept && (pod["spec"]!["initContainers"] as JsonArray)?.Any(c => c?["name"] is JsonValue name && name.TryGetValue<string>(out var text) && text == InitContainerName) == true)
            return new InjectionDecision.Deny($"meshwork: cannot inject the proxy: the pod already has an init container named {InitContainerName}, which interception needs");

        var patch = new JsonPatchDocument();
        if (annotations is null) patch.Add("/metadata/annotations", new JsonObject { [InjectedAnnotation] = "true" });
        else patch.Add($"/metadata/annotations/{Escape(InjectedAnnotation)}", "true");

        // Intercepted apps need no proxy settings: the nat rules bring their connections to the sidecar.
        for (var i = 0; i < containers.Count && !intercept; i++)
        {
            var env = containers[i]!["env"] as JsonArray;
            var additions = AppEnvironment().Where(e => env?.Any(existing => existing!["name"]!.GetValue<string>() == e.Name) != true).ToList();
            if (additions.Count == 0) continue;  // the app set its own proxy variables
            if (env is null) patch.Add($"/spec/containers/{i}/env", new JsonArray([.. additions.Select(e => EnvVar(e.Name, e.Value))]));
            else foreach (var (name, value) in additions) patch.Add($"/spec/containers/{i}/env/-", EnvVar(name, value));
        }
        var proxy = ProxyContainer(identity, options, intercept);
        // Intercepted connections arrive on the outbound port too: HTTP_PROXY requests still work there.
        if (intercept) proxy["env"]!.AsArray().Add(EnvVar("Proxy__OutboundInterceptPort", SidecarPorts.Outbound.ToString()));
        patch.Add("/spec/containers/-", proxy);
        if (intercept)
        {
            if (pod["spec"]!["initContainers"] is JsonArray) patch.Add("/spec/initContainers/-", InterceptionInitContainer(options));
            else patch.Add("/spec/initContainers", new JsonArray(InterceptionInitContainer(options)));
        }

        JsonObject[] proxyVolumes =
        [
            new() { ["name"] = StateVolume, ["emptyDir"] = new JsonObject() },
            new() { ["name"] = TmpVolume, ["emptyDir"] = new JsonObject() },
            new() { ["name"] = TrustVolume, ["configMap"] = new JsonObject { ["name"] = options.TrustBundleConfigMap } },
        ];
        if (volumes is null) patch.Add("/spec/volumes", new JsonArray(proxyVolumes));
        else foreach (var volume in proxyVolumes) patch.Add("/spec/volumes/-", volume);
        return new InjectionDecision.Inject(identity, patch);
    }

    /// <summary>The app's outbound HTTP goes through its sidecar; its own loopback (probes, health) never does.</summary>
    private static (string Name, string Value)[] AppEnvironment() =>
        [("HTTP_PROXY", $"http://127.0.0.1:{SidecarPorts.Outbound}"), ("NO_PROXY", "127.0.0.1,localhost")];

    /// <summary>
    /// Installs the nat rules in the pod's network namespace before any container starts, as Istio's
    /// istio-init: the proxy binary's init-iptables, as root with NET_ADMIN and NET_RAW only. The app's
    /// outbound TCP goes to the sidecar's outbound port (which also reads the original destination);
    /// the sidecar's uid is exempt. Inbound needs no rule: other sidecars call the registered
    /// instance address, the sidecar's inbound port, and kubelet's probes keep reaching the app.
    /// </summary>
    private static JsonObject InterceptionInitContainer(InjectionOptions options)
    {
        var proxyUser = options.InterceptionProxyUserId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["name"] = InitContainerName,
            ["image"] = options.ProxyImage,
            ["imagePullPolicy"] = options.ProxyImagePullPolicy,
            ["args"] = new JsonArray("init-iptables", "--outbound-port", SidecarPorts.Outbound.ToString(), "--proxy-uid", proxyUser, "--proxy-gid", proxyUser),
            ["resources"] = new JsonObject
            {
                ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "32Mi" },
                ["limits"] = new JsonObject { ["cpu"] = options.ProxyCpuLimit, ["memory"] = options.ProxyMemoryLimit },
            },
            ["securityContext"] = new JsonObject
            {
                ["runAsUser"] = 0,
                ["runAsGroup"] = 0,
                ["runAsNonRoot"] = false,
                ["allowPrivilegeEscalation"] = false,
                ["capabilities"] = new JsonObject { ["add"] = new JsonArray("NET_ADMIN", "NET_RAW"), ["drop"] = new JsonArray("ALL") },
                ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
            },
        };
    }

    private static JsonObject ProxyContainer(PodIdentity identity, InjectionOptions options, bool intercept) => new()
    {
        ["name"] = ProxyContainerName,
        ["image"] = options.ProxyImage,
        ["imagePullPolicy"] = options.ProxyImagePullPolicy,
        ["ports"] = new JsonArray(new JsonObject { ["name"] = "mesh-inbound", ["containerPort"] = SidecarPorts.Inbound }),
        ["env"] = new JsonArray(
            // Only inbound faces the pod network; outbound and admin bind loopback (docker/check.sh holds manifests to that).
            EnvVar("Proxy__BindAddress", "0.0.0.0"),
            EnvVar("Proxy__LocalBindAddress", "127.0.0.1"),
            EnvVar("Proxy__AdminPort", SidecarPorts.Admin.ToString()),
            EnvVar("Proxy__InboundPort", SidecarPorts.Inbound.ToString()),
            EnvVar("Proxy__OutboundPort", SidecarPorts.Outbound.ToString()),
            // A folder the proxy creates owner-only inside the emptyDir, whose own mode (0777) it would refuse.
            EnvVar("Proxy__StateDirectory", "/var/lib/meshwork/proxy/state"),
            EnvVar("ControlPlaneClient__Address", options.ControlPlaneAddress),
            EnvVar("ControlPlaneClient__TrustBundleFile", TrustBundleFile),
            EnvVar("ControlPlaneClient__Service", identity.Service),
            EnvVar("ControlPlaneClient__Namespace", identity.Namespace),
            EnvVar("ControlPlaneClient__Version", identity.Version),
            EnvVar("ControlPlaneClient__AppAddress", $"127.0.0.1:{identity.AppPort}"),
            EnvVar("ControlPlaneClient__AppHealthPath", identity.AppHealthPath),
            FieldRef("POD_NAME", "metadata.name"),
            FieldRef("POD_IP", "status.podIP"),
            EnvVar("ControlPlaneClient__ProxyId", "$(POD_NAME)"),
            EnvVar("ControlPlaneClient__InstanceAddress", $"$(POD_IP):{SidecarPorts.Inbound}"),
            new JsonObject
            {
                ["name"] = "ControlPlaneClient__BootstrapToken",
                ["valueFrom"] = new JsonObject
                {
                    ["secretKeyRef"] = new JsonObject { ["name"] = identity.BootstrapTokenSecret, ["key"] = options.BootstrapTokenSecretKey },
                },
            }),
        // The admin port is on loopback, which kubelet's httpGet cannot reach: probe from inside.
        ["readinessProbe"] = ExecProbe($"http://127.0.0.1:{SidecarPorts.Admin}/ready", periodSeconds: 5, failureThreshold: 3),
        ["livenessProbe"] = ExecProbe($"http://127.0.0.1:{SidecarPorts.Admin}/alive", periodSeconds: 10, failureThreshold: 6),
        ["resources"] = new JsonObject
        {
            ["requests"] = new JsonObject { ["cpu"] = options.ProxyCpuRequest, ["memory"] = options.ProxyMemoryRequest },
            ["limits"] = new JsonObject { ["cpu"] = options.ProxyCpuLimit, ["memory"] = options.ProxyMemoryLimit },
        },
        // What the restricted Pod Security Standard asks, on the container itself so it holds whatever the pod sets.
        ["securityContext"] = new JsonObject
        {
            ["runAsNonRoot"] = true,
            ["runAsUser"] = intercept ? options.InterceptionProxyUserId : options.ProxyUserId,
            ["runAsGroup"] = intercept ? options.InterceptionProxyUserId : options.ProxyUserId,
            ["readOnlyRootFilesystem"] = true,
            ["allowPrivilegeEscalation"] = false,
            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
            ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
        },
        ["volumeMounts"] = new JsonArray(
            // Last good snapshot: survives container restarts within the pod; no other container mounts it.
            new JsonObject { ["name"] = StateVolume, ["mountPath"] = "/var/lib/meshwork/proxy" },
            new JsonObject { ["name"] = TmpVolume, ["mountPath"] = "/tmp" },
            new JsonObject { ["name"] = TrustVolume, ["mountPath"] = TrustDirectory, ["readOnly"] = true }),
    };

    private static JsonObject EnvVar(string name, string value) => new() { ["name"] = name, ["value"] = value };

    private static JsonObject FieldRef(string name, string fieldPath) =>
        new() { ["name"] = name, ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = fieldPath } } };

    private static JsonObject ExecProbe(string url, int periodSeconds, int failureThreshold) => new()
    {
        ["exec"] = new JsonObject { ["command"] = new JsonArray("curl", "-fsS", "-o", "/dev/null", url) },
        ["periodSeconds"] = periodSeconds,
        ["timeoutSeconds"] = 3,
        ["failureThreshold"] = failureThreshold,
    };

    /// <summary>RFC 6901: '~' and '/' inside a key of a JSON Pointer.</summary>
    private static string Escape(string key) => key.Replace("~", "~0").Replace("/", "~1");
}
