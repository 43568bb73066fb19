using Meshwork.Model.Validation;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// "Portal:Fleet:Kubernetes": the Kubernetes deployment driver (Portal:Fleet:Driver = Kubernetes).
/// Each deployed service version is a Deployment in <see cref="Namespace"/> whose pods get the proxy
/// from the control plane's injection webhook.
/// </summary>
public sealed class KubernetesDriverOptions
{
    public const string Section = FleetOptions.Section + ":Kubernetes";

    /// <summary>The Kubernetes namespace the Deployments go to; it must be labelled for injection (meshwork.io/inject=enabled). Also their mesh namespace.</summary>
    public string Namespace { get; set; } = "";

    /// <summary>A kubeconfig file to reach the API server; empty (the default) uses the portal pod's service account.</summary>
    public string KubeConfigFile { get; set; } = "";

    /// <summary>The demo apps image (docker/Dockerfile target demoapps), e.g. registry.example.com/meshwork/demoapps:1.0.</summary>
    public string DemoAppsImage { get; set; } = "";

    public string ImagePullPolicy { get; set; } = "IfNotPresent";

    /// <summary>How often the Deployments' status is listed from the API server (and after every action).</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a deploy waits for its pods to be ready before it reports them not running (they keep starting).</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Every problem with the settings, each naming its setting; empty when usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!IdentityNames.IsDnsLabel(Namespace)) problems.Add($"{Section}:Namespace '{Namespace}' is not a Kubernetes namespace name: {IdentityNames.DnsLabelRule}");
        if (KubeConfigFile.Length > 0 && !File.Exists(KubeConfigFile)) problems.Add($"{Section}:KubeConfigFile {KubeConfigFile} does not exist");
        if (string.IsNullOrWhiteSpace(DemoAppsImage) || DemoAppsImage.Any(char.IsWhiteSpace)) problems.Add($"{Section}:DemoAppsImage is not set (an image reference without spaces)");
        if (ImagePullPolicy is not ("Always" or "IfNotPresent" or "Never")) problems.Add($"{Section}:ImagePullPolicy must be Always, IfNotPresent or Never (got '{ImagePullPolicy}')");
        if (StatusInterval < TimeSpan.FromSeconds(1)) problems.Add($"{Section}:StatusInterval must be at least 1 second");
        if (StartTimeout <= TimeSpan.Zero) problems.Add($"{Section}:StartTimeout must be positive");
        return problems;
    }
}
