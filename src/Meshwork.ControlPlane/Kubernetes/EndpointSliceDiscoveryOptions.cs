using Meshwork.Model.Validation.Rules;

namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>
/// The "ControlPlane:Kubernetes" section: the registry also learns instances from Kubernetes
/// EndpointSlices (docs/deployment.md, "Registry from EndpointSlices"). Off by default: outside a
/// cluster there is nothing to watch.
/// </summary>
public sealed class EndpointSliceDiscoveryOptions
{
    /// <summary>Watch discovery.k8s.io/v1 EndpointSlices and register the ready endpoints of meshed pods.</summary>
    public bool WatchEndpointSlices { get; set; }

    /// <summary>A kubeconfig file to reach the API server; empty (the default) uses the pod's service account (in-cluster).</summary>
    public string KubeConfigFile { get; set; } = "";

    /// <summary>Kubernetes namespaces to watch, one watch each; empty watches all namespaces (needs a ClusterRole).</summary>
    public List<string> Namespaces { get; set; } = [];

    /// <summary>Only slices with these labels (a Kubernetes label selector; slices carry their Service's labels); empty: every slice.</summary>
    public string LabelSelector { get; set; } = "";

    /// <summary>A full re-list this often even when the watch is healthy, so a missed event cannot last.</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>First wait after a failed list or watch; doubles on each further failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What is wrong with the settings, each naming its setting (empty when discovery is off).</summary>
    public IEnumerable<string> Problems()
    {
        if (!WatchEndpointSlices) yield break;
        if (KubeConfigFile.Length > 0 && !File.Exists(KubeConfigFile)) yield return $"ControlPlane:Kubernetes:KubeConfigFile {KubeConfigFile} does not exist";
        foreach (var ns in Namespaces.Where(ns => !Names.IsDnsLabel(ns)))
            yield return $"ControlPlane:Kubernetes:Namespaces: '{ns}' is not a Kubernetes namespace name: {Names.DnsLabelRule}";
        if (ResyncInterval < TimeSpan.FromSeconds(10)) yield return "ControlPlane:Kubernetes:ResyncInterval must be at least 10 seconds";
        if (ReconnectDelay <= TimeSpan.Zero || MaxReconnectDelay < ReconnectDelay)
            yield return "ControlPlane:Kubernetes:ReconnectDelay must be positive and at most MaxReconnectDelay";
    }
}
