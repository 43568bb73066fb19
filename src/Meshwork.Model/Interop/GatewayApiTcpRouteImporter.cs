using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// Kubernetes Gateway API TCPRoute (gateway.networking.k8s.io/v1alpha2) attached to a Service (GAMMA): the
/// parentRef's port is the port the route listens on, the one rule's backendRefs are the weighted backends
/// (read as HTTPRoute backends are). Gateway parents (north/south TCP) have no Meshwork equivalent yet.
/// </summary>
internal static class GatewayApiTcpRouteImporter
{
    public static void Translate(DocumentReader document, ImportSession session)
    {
        if (document.MetadataAndSpec() is not var (metadata, spec))
            return;
        var parents = spec.Items("parentRefs");
        if (parents.Count != 1)
        {
            document.Error(spec.FieldPath("parentRefs"), $"a TCP route here has exactly one parent, a Service with a port; there are {parents.Count}");
            return;
        }
        var parent = parents[0];
        var kind = parent.String("kind") ?? "Gateway";
        parent.Ignore("group", "namespace");
        parent.Unsupported("sectionName", "a Meshwork TCP route attaches to its service by port; ignored");
        if (kind != "Service")
        {
            document.Error(parent.FieldPath("kind"), $"only a Service parent (GAMMA, east/west) has a Meshwork equivalent, not '{kind}'");
            return;
        }
        if (parent.Int("port") is not { } port)
        {
            document.Error(parent.FieldPath("port"), "is required: it is the port the sidecars listen on for this route");
            return;
        }
        session.Add(new TcpRoute
        {
            Metadata = metadata,
            Service = parent.String("name") ?? "",
            Port = port,
            Rules = spec.Items("rules").Select(rule => new TcpRouteRule
            {
                Name = rule.String("name"),
                BackendRefs = rule.Items("backendRefs").Select(b => GatewayApiHttpRouteImporter.Backend(b, document, allowFilters: false)).OfType<BackendRef>().ToList(),
            }).ToList(),
        }, document);
    }
}
