using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// Istio DestinationRule: subsets become the service's versions (a Service resource), the traffic
/// policy a ResiliencePolicy named after the rule. Istio's defaults are kept where ours differ
/// (connection-pool limits 2^32-1, i.e. unlimited).
/// </summary>
internal static class IstioDestinationRuleImporter
{
    public static void Translate(DocumentReader document, ImportSession session)
    {
        if (document.MetadataAndSpec() is not var (metadata, spec))
            return;
        var host = spec.String("host") ?? "";
        if (IstioHosts.Service(host, metadata.Namespace) is not var (service, ns))
        {
            document.Error(spec.FieldPath("host"), $"'{host}' is not a mesh service (a short name, name.namespace or name.namespace.svc.cluster.local); external hosts and wildcards have no equivalent");
            return;
        }
        if (ns != metadata.Namespace)
        {
            document.Error(spec.FieldPath("host"), $"'{host}' is in namespace '{ns}'; a Meshwork policy applies to a service of its own namespace ('{metadata.Namespace}'): put the DestinationRule there");
            return;
        }
        spec.Unsupported("exportTo", "visibility across namespaces has no equivalent; the policy applies to every caller in the mesh");
        spec.Unsupported("workloadSelector", "a policy applies to every caller of the service in Meshwork, not to selected client workloads");

        var subsets = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var subset in spec.Items("subsets"))
        {
            var name = subset.String("name") ?? "";
            subset.Unsupported("trafficPolicy", "Meshwork sets client settings per service, not per version; the subset's policy is ignored");
            if (!subsets.TryAdd(name, subset.StringMap("labels")))
                document.Error(subset.FieldPath("name"), $"duplicate subset name '{name}'");
        }
        if (subsets.Count > 0)
        {
            session.Subsets[(ns, service)] = new IstioSubsets(subsets, spec.FieldPath("subsets"));
            session.Add(ServiceWithVersions(session, document, metadata, service, subsets), document);
        }
        if (spec.Field("trafficPolicy") is { } policy)
        {
            var resilience = IstioTrafficPolicy.Translate(policy, document, metadata, service);
            session.Add(resilience, document);
        }
    }

    /// <summary>The stored service with the subsets added as versions, or a new one (port and protocol are not in a DestinationRule).</summary>
    private static Service ServiceWithVersions(ImportSession session, DocumentReader document, ResourceMetadata rule, string service, Dictionary<string, IReadOnlyDictionary<string, string>> subsets)
    {
        var stored = session.StoredService(service, rule.Namespace);
        if (stored is null)
        {
            document.Note(document.Root.FieldPath("spec.host"),
                $"service '{service}' is made from the subsets; a DestinationRule has no port or protocol, so Meshwork's defaults apply (port 8080, http): check them before applying");
        }
        var versions = (stored?.Versions ?? []).ToList();
        foreach (var (name, labels) in subsets)
        {
            if (!versions.Any(v => v.Name == name || IstioSubsetVersions.SameLabels(v.Labels, labels)))
                versions.Add(new ServiceVersion { Name = name, Labels = labels });
        }
        return (stored ?? new Service { Metadata = new ResourceMetadata { Name = service, Namespace = rule.Namespace } }) with
        {
            Metadata = (stored?.Metadata ?? new ResourceMetadata { Name = service, Namespace = rule.Namespace }),
            Versions = versions,
        };
    }
}
