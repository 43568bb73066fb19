using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// Istio VirtualService <c>tcp:</c> routes as TcpRoutes. Istio takes the first tcp route whose match fits
/// a connection (port, destination subnet, source labels or namespace, gateway); a Meshwork TcpRoute is
/// selected by its port alone, in the whole mesh. So every port an entry matches becomes one TcpRoute
/// (named after the VirtualService, or NAME-PORT when there are several), the first entry for a port
/// wins, and every condition other than the port is a warning naming it. Destinations are read as the
/// HTTP routes' are (host and subset as service and version, weights).
/// </summary>
internal static class IstioTcpRouteImporter
{
    /// <summary>A host of the VirtualService that is a mesh service, with where it was written.</summary>
    public readonly record struct MeshHost(string Service, string Namespace, string Path);

    private const string Broader = "has no equivalent for Meshwork TCP routes, which the port alone selects; the route takes every connection to its port";

    public static void Translate(DocumentReader document, ImportSession session, ResourceMetadata metadata, SpecNode spec,
        IReadOnlyList<string> gateways, IReadOnlyList<MeshHost> meshHosts)
    {
        if (Owner(document, spec, metadata.Namespace, gateways, meshHosts) is not { } service)
        {
            // The error says why no tcp route is read; their fields are not each "without equivalent".
            spec.Ignore("tcp");
            return;
        }
        var entries = spec.Items("tcp");
        if (entries.Count == 0)
        {
            document.Error(spec.FieldPath("tcp"), "lists no route");
            return;
        }
        var routes = new List<(int Port, string Path, IReadOnlyList<BackendRef> Backends)>();
        foreach (var entry in entries)
        {
            var ports = Ports(entry, document, session, service, metadata.Namespace);
            var backends = Backends(entry, ports, document, session, metadata.Namespace);
            foreach (var port in ports)
            {
                var earlier = routes.FirstOrDefault(r => r.Port == port);
                if (earlier.Path is null)
                    routes.Add((port, entry.Path, backends));
                else
                    document.Warning(entry.Path, $"Meshwork has one route per port and {earlier.Path} already routes port {port} (Istio uses this route only for connections {earlier.Path} does not match); left out for port {port}");
            }
        }
        foreach (var (port, path, backends) in routes)
        {
            var name = routes.Count == 1 ? metadata.Name : $"{metadata.Name}-{port}";
            if (routes.Count > 1)
                document.Note(path, $"port {port} becomes TcpRoute '{name}' (a Meshwork TcpRoute has one port)");
            session.Add(new TcpRoute
            {
                Metadata = metadata with { Name = name },
                Service = service,
                Port = port,
                Rules = [new TcpRouteRule { BackendRefs = backends }],
            }, document);
        }
    }

    /// <summary>
    /// The TcpRoutes' parent: the first host that is a mesh service of the VirtualService's namespace
    /// (a TcpRoute's service is in its own namespace). Other hosts add nothing: the port selects the route.
    /// Null, with the error, for tcp routes bound to gateways only (no north/south TCP).
    /// </summary>
    private static string? Owner(DocumentReader document, SpecNode spec, string ns, IReadOnlyList<string> gateways, IReadOnlyList<MeshHost> meshHosts)
    {
        if (gateways.Count > 0 && !gateways.Contains("mesh"))
        {
            document.Error(spec.FieldPath("gateways"), "tcp routes through a gateway (north/south TCP) have no Meshwork equivalent; only tcp routes bound to 'mesh' (no gateways, or 'mesh' among them) become TcpRoutes");
            return null;
        }
        if (gateways.Count > 1)
            document.Warning(spec.FieldPath("gateways"), "tcp routes through a gateway have no Meshwork equivalent; the TcpRoutes apply to mesh traffic only");
        var owner = meshHosts.FirstOrDefault(h => h.Namespace == ns);
        if (owner.Path is null)
        {
            document.Error(spec.FieldPath("hosts"), $"tcp routes need a host that is a mesh service in namespace '{ns}' (a TcpRoute belongs to a service of its own namespace); put the VirtualService in its service's namespace");
            return null;
        }
        foreach (var other in meshHosts.Where(h => h.Path != owner.Path))
            document.Warning(other.Path, $"Meshwork selects a TCP route by its port alone, so the TcpRoute takes connections to its port whatever service they address; it belongs to '{owner.Service}' and this host adds nothing");
        return owner.Service;
    }

    /// <summary>The ports an entry matches, each once; a match without one (in Istio, every port of the host) takes the stored service's port.</summary>
    private static List<int> Ports(SpecNode entry, DocumentReader document, ImportSession session, string service, string ns)
    {
        var matches = entry.Items("match");
        if (matches.Count == 0)
            return PortOfService(entry.FieldPath("match"), document, session, service, ns);
        var ports = new List<int>();
        foreach (var match in matches)
        {
            foreach (var field in new[] { "destinationSubnets", "sourceLabels", "sourceNamespace" })
                match.Unsupported(field, Broader);
            match.Unsupported("gateways", "has no equivalent: Meshwork's TcpRoutes apply to mesh traffic (sidecars) only, whatever gateways a match names");
            ports.AddRange(match.Int("port") is { } port ? [port] : PortOfService(match.FieldPath("port"), document, session, service, ns));
        }
        return ports.Distinct().ToList();
    }

    private static List<int> PortOfService(string path, DocumentReader document, ImportSession session, string service, string ns)
    {
        if (session.StoredService(service, ns) is { } stored)
        {
            document.Warning(path, $"Istio applies a tcp route without a port to every port of '{service}'; a Meshwork TcpRoute has one port, so the service's port {stored.Port} is used");
            return [stored.Port];
        }
        document.Error(path, $"is required: a Meshwork TcpRoute is selected by one port (Istio applies a tcp route without one to every port of '{service}', which is not stored, so its port is unknown)");
        return [];
    }

    /// <summary>
    /// The entry's weighted destinations. The destination sidecar relays to its app's one port, so a
    /// destination port that is neither the matched port nor the stored service's port cannot be honoured.
    /// </summary>
    private static List<BackendRef> Backends(SpecNode entry, IReadOnlyList<int> ports, DocumentReader document, ImportSession session, string ns)
    {
        var destinations = entry.Items("route");
        var backends = new List<BackendRef>();
        foreach (var destination in destinations)
        {
            var portNode = destination.Field("destination")?.Field("port");
            var number = portNode?.Int("number");
            if (IstioVirtualServiceImporter.WeightedDestination(destination, destinations.Count, document, session, ns) is not { } backend)
                continue;
            backends.Add(backend);
            if (number is { } n && !ports.Contains(n) && session.StoredService(backend.Service, backend.Namespace ?? ns)?.Port != n)
            {
                document.Warning(portNode!.FieldPath("number"),
                    $"Meshwork relays a TCP connection to the destination app's own port (its service's port), not to a chosen one; port {n} is not used");
            }
        }
        return backends;
    }
}
