namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>
/// The "ControlPlane:Injection" section: the mutating admission webhook (POST /inject) through which
/// Kubernetes adds the proxy to pods as a sidecar (docs/deployment.md, "Sidecar injection").
/// </summary>
public sealed class InjectionOptions
{
    /// <summary>HTTPS port of POST /inject, which the Kubernetes API server calls; 0 (the default) serves no webhook.</summary>
    public int Port { get; set; }

    /// <summary>
    /// PEM certificate (chain) and key of that port, e.g. the tls.crt and tls.key of a mounted Secret.
    /// Re-read when the files change (a renewed Secret), without a restart. The API server verifies the
    /// certificate against the caBundle of the MutatingWebhookConfiguration.
    /// </summary>
    public string CertificateFile { get; set; } = "";

    public string KeyFile { get; set; } = "";

    /// <summary>Image of the injected proxy, e.g. registry.example.com/meshwork/proxy:1.0.</summary>
    public string ProxyImage { get; set; } = "";

    public string ProxyImagePullPolicy { get; set; } = "IfNotPresent";

    /// <summary>What injected proxies dial (ControlPlaneClient:Address): the control plane's Service, comma-separated if several.</summary>
    public string ControlPlaneAddress { get; set; } = "";

    /// <summary>ConfigMap (key trust-bundle.pem) holding the mesh root in the pod's namespace; proxies verify the control plane against it.</summary>
    public string TrustBundleConfigMap { get; set; } = "meshwork-trust-bundle";

    /// <summary>
    /// A pod's bootstrap token comes from the Secret "&lt;service&gt;&lt;suffix&gt;" of its namespace (or the one
    /// named by its meshwork.io/bootstrap-token-secret annotation), key <see cref="BootstrapTokenSecretKey"/>.
    /// The webhook only writes the reference: it never reads the token.
    /// </summary>
    public string BootstrapTokenSecretSuffix { get; set; } = "-bootstrap-token";

    public string BootstrapTokenSecretKey { get; set; } = "token";

    /// <summary>The app's loopback port when the pod names none (meshwork.io/app-port, or the first container's first containerPort).</summary>
    public int DefaultAppPort { get; set; } = 8080;

    /// <summary>User and group the proxy runs as: the image's non-root "app" user.</summary>
    public long ProxyUserId { get; set; } = 1654;

    /// <summary>
    /// Transparent interception for every injected pod (a pod's meshwork.io/intercept annotation,
    /// "true" or "false", overrides it): an init container installs nat rules that send the app's
    /// outbound TCP to the sidecar, and the app gets no HTTP_PROXY (docs/deployment.md).
    /// </summary>
    public bool Interception { get; set; }

    /// <summary>
    /// User and group the proxy runs as in an intercepted pod, which the rules exempt (Istio's 1337).
    /// Not <see cref="ProxyUserId"/>: apps built on the same .NET images run as 1654 too, and their
    /// traffic would then bypass the sidecar.
    /// </summary>
    public long InterceptionProxyUserId { get; set; } = 1337;

    public string ProxyCpuRequest { get; set; } = "50m";
    public string ProxyMemoryRequest { get; set; } = "96Mi";
    public string ProxyCpuLimit { get; set; } = "1";
    public string ProxyMemoryLimit { get; set; } = "256Mi";

    /// <summary>Larger AdmissionReview bodies are refused (413). A pod object is at most ~1.5 MiB (etcd's limit); a review carries it once for CREATE.</summary>
    public int MaxReviewBytes { get; set; } = 3 * 1024 * 1024;

    /// <summary>What is missing or wrong for serving the webhook (empty when <see cref="Port"/> is 0).</summary>
    public IEnumerable<string> Problems()
    {
        if (Port == 0) yield break;
        if (Port is < 1 or > 65535) yield return $"ControlPlane:Injection:Port {Port} is not a port (1-65535, or 0 to serve no webhook)";
        if (string.IsNullOrWhiteSpace(CertificateFile)) yield return "ControlPlane:Injection:CertificateFile is not set (the API server calls webhooks over HTTPS only)";
        else if (!File.Exists(CertificateFile)) yield return $"ControlPlane:Injection:CertificateFile {CertificateFile} does not exist";
        if (string.IsNullOrWhiteSpace(KeyFile)) yield return "ControlPlane:Injection:KeyFile is not set";
        else if (!File.Exists(KeyFile)) yield return $"ControlPlane:Injection:KeyFile {KeyFile} does not exist";
        if (string.IsNullOrWhiteSpace(ProxyImage)) yield return "ControlPlane:Injection:ProxyImage is not set";
        if (string.IsNullOrWhiteSpace(ControlPlaneAddress)) yield return "ControlPlane:Injection:ControlPlaneAddress is not set (what injected proxies dial)";
        if (DefaultAppPort is < 1 or > 65535) yield return $"ControlPlane:Injection:DefaultAppPort {DefaultAppPort} is not a port";
        if (InterceptionProxyUserId is < 1 or > int.MaxValue) yield return $"ControlPlane:Injection:InterceptionProxyUserId {InterceptionProxyUserId} must be a non-root user id";
        if (MaxReviewBytes < 64 * 1024) yield return $"ControlPlane:Injection:MaxReviewBytes {MaxReviewBytes} is below 64 KiB: real pods would be refused";
    }
}
