using System.Text.Json.Nodes;
using Meshwork.Model.Validation.Rules;

namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>
/// Who an injected proxy registers as, read from the pod's annotations and labels (the first one set
/// wins): service from meshwork.io/service, app.kubernetes.io/name or app; version from
/// meshwork.io/version, app.kubernetes.io/version or version (else v1); mesh namespace from
/// meshwork.io/namespace (else the pod's Kubernetes namespace); app port from meshwork.io/app-port (else
/// the first container's first containerPort, else the configured default).
/// </summary>
public sealed record PodIdentity(string Service, string Namespace, string Version, int AppPort, string AppHealthPath, string BootstrapTokenSecret)
{
    public const string ServiceKey = "meshwork.io/service";
    public const string VersionKey = "meshwork.io/version";
    public const string NamespaceKey = "meshwork.io/namespace";
    public const string AppPortKey = "meshwork.io/app-port";
    public const string AppHealthPathKey = "meshwork.io/app-health-path";
    public const string TokenSecretKey = "meshwork.io/bootstrap-token-secret";

    /// <summary>The annotations or labels the version is read from, first set wins ("v1" when none is); EndpointSlice discovery reads the same.</summary>
    public static readonly string[] VersionKeys = [VersionKey, "app.kubernetes.io/version", "version"];

    /// <summary>The identity, or why the pod cannot be given one (the pod is then refused: its namespace asked for injection).</summary>
    public static (PodIdentity? Identity, string? Problem) Resolve(JsonObject pod, string kubernetesNamespace, InjectionOptions options)
    {
        var annotations = pod["metadata"]?["annotations"] as JsonObject;
        var labels = pod["metadata"]?["labels"] as JsonObject;
        string? First(params string[] keys)
        {
            foreach (var key in keys)
            {
                var value = annotations?[key]?.GetValue<string>() ?? labels?[key]?.GetValue<string>();
                if (!string.IsNullOrEmpty(value)) return value;
            }
            return null;
        }

        var service = First(ServiceKey, "app.kubernetes.io/name", "app");
        if (service is null)
            return (null, $"no service name: label the pod with {ServiceKey}, app.kubernetes.io/name or app (or annotate it meshwork.io/inject: \"false\")");
        if (!Names.IsDnsLabel(service)) return (null, $"service '{Shorten(service)}' is not a valid name: {Names.DnsLabelRule}");
        var version = First(VersionKeys) ?? "v1";
        if (!Names.IsDnsLabel(version)) return (null, $"version '{Shorten(version)}' is not a valid name: {Names.DnsLabelRule}");
        var meshNamespace = First(NamespaceKey) ?? kubernetesNamespace;
        if (!Names.IsDnsLabel(meshNamespace)) return (null, $"namespace '{Shorten(meshNamespace)}' is not a valid name: {Names.DnsLabelRule}");

        int appPort;
        if (First(AppPortKey) is { } portText)
        {
            if (!int.TryParse(portText, out appPort) || appPort is < 1 or > 65535) return (null, $"{AppPortKey} '{Shorten(portText)}' is not a port (1-65535)");
        }
        else
        {
            appPort = pod["spec"]!["containers"]![0]!["ports"]?[0]?["containerPort"]?.GetValue<int>() ?? options.DefaultAppPort;
        }
        if (SidecarPorts.All.Contains(appPort)) return (null, $"app port {appPort} is one of the proxy's ports ({string.Join(", ", SidecarPorts.All)})");

        var healthPath = First(AppHealthPathKey) ?? "/health";
        if (!healthPath.StartsWith('/') || healthPath.Length > 256 || healthPath.Any(char.IsWhiteSpace))
            return (null, $"{AppHealthPathKey} must be a path starting with '/', at most 256 characters, without spaces");

        var secret = First(TokenSecretKey) ?? service + options.BootstrapTokenSecretSuffix;
        if (!Names.IsDnsSubdomain(secret)) return (null, $"bootstrap token Secret name '{Shorten(secret)}' is not a valid Secret name");
        return (new PodIdentity(service, meshNamespace, version, appPort, healthPath, secret), null);
    }

    private static string Shorten(string value) => value.Length <= 63 ? value : value[..60] + "...";
}
