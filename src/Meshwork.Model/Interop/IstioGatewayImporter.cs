namespace Meshwork.Model.Interop;

/// <summary>
/// Istio Gateway: Meshwork has no gateway resource (a gateway is a proxy deployed as a service),
/// so the document makes nothing; VirtualServices bound to it become routes with that gateway as
/// their parent. What its servers configure is listed as warnings.
/// </summary>
internal static class IstioGatewayImporter
{
    public static void Translate(DocumentReader document, ImportSession session)
    {
        var metadata = document.Metadata();
        if (metadata is null)
            return;
        document.Note(document.Root.Path,
            $"Gateway '{metadata.Name}' makes no resource: a Meshwork gateway is a proxy deployed as a service; routes bound to '{metadata.Namespace}/{metadata.Name}' name it as their parent");
        var spec = document.Root.Field("spec");
        spec?.Unsupported("selector", "the gateway proxy is chosen by its service name, not by labels; ignored");
        foreach (var server in spec?.Items("servers") ?? [])
        {
            server.Unsupported("tls", "gateway TLS settings are the gateway proxy's configuration, not a resource; ignored");
            server.Unsupported("port", "the gateway proxy's listening port is its configuration, not a resource; ignored");
            server.Unsupported("bind", "has no equivalent; ignored");
            server.Unsupported("defaultEndpoint", "has no equivalent; ignored");
            server.Unsupported("name", "has no equivalent; ignored");
            // The hosts a server accepts are the hostnames of the routes bound to it.
            server.Ignore("hosts");
        }
    }
}
