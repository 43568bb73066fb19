using System.Text.Json.Nodes;
using Meshwork.Model.Resources;
using static Meshwork.Model.Interop.GatewayApiExporter;

namespace Meshwork.Model.Interop;

/// <summary>
/// A TcpRoute as an Istio VirtualService <c>tcp:</c> route: the route's service as the host, one match on
/// its port, weighted destinations with subsets, as IstioTcpRouteImporter reads them back. An HttpRoute
/// of the same name and service is one VirtualService in Istio, so the two are written as one.
/// </summary>
internal static class IstioTcpRouteExporter
{
    public static IEnumerable<JsonObject> Export(TcpRoute route, IReadOnlyList<Resource> exported, ExportWriter writer)
    {
        for (var i = 0; i < route.Rules.Count; i++)
        {
            if (route.Rules[i].Name is not null)
                writer.Warning($"rules[{i}].name", "Istio tcp routes have no name; not exported");
        }
        var namesake = exported.OfType<HttpRoute>().FirstOrDefault(h => h.Metadata.Name == route.Metadata.Name && h.Metadata.Namespace == route.Metadata.Namespace);
        if (namesake is not null && OneVirtualService(namesake, route))
        {
            writer.Note($"written into the VirtualService of HttpRoute '{route.Metadata.Namespace}/{route.Metadata.Name}' (Istio has one VirtualService per name)");
            yield break;
        }
        if (namesake is not null)
            writer.Warning("", $"HttpRoute '{route.Metadata.Namespace}/{route.Metadata.Name}' is exported as a VirtualService of the same name with other hosts, and Istio keeps one per name: rename one of them before applying both");
        var spec = new JsonObject { ["hosts"] = Array([JsonValue.Create(route.Service)]), ["tcp"] = Section(route) };
        yield return ManifestExporter.Manifest("networking.istio.io/v1", "VirtualService", route.Metadata, spec);
    }

    /// <summary>The TcpRoute, among those exported, whose tcp section the HttpRoute's VirtualService carries.</summary>
    public static TcpRoute? Carried(HttpRoute route, IReadOnlyList<Resource> exported) =>
        exported.OfType<TcpRoute>().FirstOrDefault(t => t.Metadata.Name == route.Metadata.Name && t.Metadata.Namespace == route.Metadata.Namespace && OneVirtualService(route, t));

    public static JsonArray Section(TcpRoute route) => Array(route.Rules.Select(rule => new JsonObject
    {
        ["match"] = Array([new JsonObject { ["port"] = route.Port }]),
        ["route"] = Array(rule.BackendRefs.Select(b => new JsonObject
        {
            ["destination"] = IstioVirtualServiceExporter.Destination(b, route.Metadata.Namespace),
            ["weight"] = b.Weight,
        })),
    }));

    /// <summary>
    /// One VirtualService reads back as both when the HttpRoute is mesh-only and the TcpRoute's service is
    /// the host the importer gives the tcp routes (the first service of the route's own namespace).
    /// </summary>
    private static bool OneVirtualService(HttpRoute http, TcpRoute tcp) =>
        http.ParentRefs.All(p => p.Kind == ParentKind.Service)
        && http.ParentRefs.FirstOrDefault(p => p.Namespace is null || p.Namespace == http.Metadata.Namespace)?.Name == tcp.Service;
}
