using k8s;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Registry;
using Meshwork.ControlPlane.Status;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>
/// Feeds the registry from Kubernetes EndpointSlices (ControlPlane:Kubernetes:WatchEndpointSlices):
/// one <see cref="EndpointSliceWatch"/> per configured namespace, or one over all namespaces. Every
/// replica runs it: the instances stay in each replica's memory and nothing shared is written, so no
/// leader is needed.
/// </summary>
public sealed class EndpointSliceDiscovery(
    ServiceRegistry registry,
    IKubernetes client,
    IOptions<ControlPlaneOptions> options,
    FleetState fleet,
    ILogger<EndpointSliceDiscovery> logger) : BackgroundService
{
    /// <summary>The client for the configured API server: a kubeconfig file, or the pod's service account.</summary>
    public static IKubernetes CreateClient(EndpointSliceDiscoveryOptions settings) =>
        new k8s.Kubernetes(settings.KubeConfigFile.Length > 0
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(settings.KubeConfigFile)
            : KubernetesClientConfiguration.InClusterConfig());

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Kubernetes;
        string?[] scopes = settings.Namespaces.Count == 0 ? [null] : [.. settings.Namespaces.Distinct()];
        return Task.WhenAll(scopes.Select(ns => new EndpointSliceWatch(ns, registry, client, settings, fleet, logger).RunAsync(stoppingToken)));
    }
}
