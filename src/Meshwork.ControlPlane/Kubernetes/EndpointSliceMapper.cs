using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Meshwork.Model.Resources;
using Meshwork.Model.Validation.Rules;

namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>
/// Turns one EndpointSlice into registry instances: one per ready endpoint whose pod runs the injected
/// proxy, at the pod's IP and the proxy's inbound port (where the proxy itself registers), with the
/// service from the slice's kubernetes.io/service-name label and the version and mesh namespace read
/// from the pod as the injection webhook reads them (<see cref="PodIdentity"/>). The slice comes from
/// the network: every field used is checked, and a slice with a bad one is refused whole, with the
/// reason (its endpoints stay as last accepted). Endpoints that are simply not meshed (not ready, no
/// pod behind them, a pod without the proxy) are left out without refusing the slice.
/// </summary>
/// <param name="readPod">Reads a pod by namespace, name and (when the slice names it) uid; null when there is no such pod.</param>
public sealed class EndpointSliceMapper(Func<string, string, string?, CancellationToken, Task<V1Pod?>> readPod)
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public async Task<SliceMapping> MapAsync(V1EndpointSlice slice, CancellationToken ct)
    {
        var name = slice.Metadata?.Name;
        var kubernetesNamespace = slice.Metadata?.NamespaceProperty;
        if (!Names.IsDnsSubdomain(name)) return SliceMapping.Refuse($"metadata.name '{Shorten(name)}' is not a Kubernetes object name");
        if (!Names.IsDnsLabel(kubernetesNamespace)) return SliceMapping.Refuse($"metadata.namespace '{Shorten(kubernetesNamespace)}' is not a namespace name: {Names.DnsLabelRule}");
        var service = ValueOf(slice.Metadata!.Labels, ServiceNameLabel);
        if (service is null) return SliceMapping.Refuse($"metadata.labels has no {ServiceNameLabel} (a slice the EndpointSlice controller did not write for a Service)");
        if (!Names.IsDnsLabel(service)) return SliceMapping.Refuse($"metadata.labels[{ServiceNameLabel}] '{Shorten(service)}' is not a service name: {Names.DnsLabelRule}");
        var family = slice.AddressType switch
        {
            "IPv4" => AddressFamily.InterNetwork,
            "IPv6" => AddressFamily.InterNetworkV6,
            _ => (AddressFamily?)null,
        };
        if (family is null) return SliceMapping.Refuse($"addressType '{Shorten(slice.AddressType)}' is not IPv4 or IPv6 (FQDN slices name no pod)");
        for (var i = 0; i < (slice.Ports?.Count ?? 0); i++)
        {
            var port = slice.Ports![i];
            if (port.Port is { } number && number is < 1 or > 65535) return SliceMapping.Refuse($"ports[{i}].port {number} is not a port (1-65535)");
            if (port.Name is { Length: > 0 } portName && !Names.IsDnsLabel(portName)) return SliceMapping.Refuse($"ports[{i}].name '{Shorten(portName)}' is not a port name: {Names.DnsLabelRule}");
        }

        var instances = new List<Instance>();
        for (var i = 0; i < (slice.Endpoints?.Count ?? 0); i++)
        {
            var endpoint = slice.Endpoints![i];
            if (endpoint.Addresses is not { Count: > 0 }) return SliceMapping.Refuse($"endpoints[{i}].addresses is empty");
            // Consumers use the first address (the API's own rule); the others are the same pod.
            var text = endpoint.Addresses[0];
            if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != family || address.ToString() != text)
                return SliceMapping.Refuse($"endpoints[{i}].addresses[0] '{Shorten(text)}' is not an {slice.AddressType} address");
            // The API says an unknown readiness means ready.
            if (endpoint.Conditions?.Ready == false) continue;
            if (endpoint.TargetRef is not { Kind: "Pod" } target) continue;
            if (!Names.IsDnsSubdomain(target.Name)) return SliceMapping.Refuse($"endpoints[{i}].targetRef.name '{Shorten(target.Name)}' is not a pod name");
            if (target.NamespaceProperty is { } podNamespace && podNamespace != kubernetesNamespace)
                return SliceMapping.Refuse($"endpoints[{i}].targetRef.namespace '{Shorten(podNamespace)}' is not the slice's namespace");

            var pod = await readPod(kubernetesNamespace!, target.Name, target.Uid, ct);
            // Gone since (the next event drops it), replaced by a pod of the same name, or not meshed: no sidecar to send to.
            if (pod is null || (target.Uid is { } uid && pod.Metadata?.Uid != uid)) continue;
            if (pod.Spec?.Containers?.Any(c => c.Name == SidecarInjector.ProxyContainerName) != true) continue;
            var version = First(pod, PodIdentity.VersionKeys) ?? "v1";
            if (!Names.IsDnsLabel(version)) return SliceMapping.Refuse($"endpoints[{i}]: pod {target.Name} version '{Shorten(version)}' is not a version name: {Names.DnsLabelRule}");
            var meshNamespace = First(pod, [PodIdentity.NamespaceKey]) ?? kubernetesNamespace!;
            if (!Names.IsDnsLabel(meshNamespace)) return SliceMapping.Refuse($"endpoints[{i}]: pod {target.Name} {PodIdentity.NamespaceKey} '{Shorten(meshNamespace)}' is not a namespace name: {Names.DnsLabelRule}");

            instances.Add(new Instance
            {
                // The injected proxy registers as its pod's name (SidecarInjector): the same pod is one instance.
                Id = target.Name,
                ProxyId = target.Name,
                Service = service,
                Namespace = meshNamespace,
                Version = version,
                Address = new IPEndPoint(address, SidecarPorts.Inbound).ToString(),
                Health = InstanceHealth.Healthy,
            });
        }
        return SliceMapping.Accept(instances);
    }

    private static string? First(V1Pod pod, IEnumerable<string> keys) =>
        keys.Select(key => ValueOf(pod.Metadata?.Annotations, key) ?? ValueOf(pod.Metadata?.Labels, key))
            .FirstOrDefault(value => !string.IsNullOrEmpty(value));

    /// <summary>A label or annotation; the models' maps are IDictionary, for which no GetValueOrDefault applies.</summary>
    public static string? ValueOf(IDictionary<string, string>? map, string key) => map is not null && map.TryGetValue(key, out var value) ? value : null;

    private static string Shorten(string? value) => value is null ? "" : value.Length <= 64 ? value : value[..64] + "...";
}

/// <summary>A slice's instances, or why the slice was refused.</summary>
public sealed record SliceMapping(IReadOnlyList<Instance>? Instances, string? Problem)
{
    public static SliceMapping Accept(IReadOnlyList<Instance> instances) => new(instances, null);

    public static SliceMapping Refuse(string problem) => new(null, problem);
}
