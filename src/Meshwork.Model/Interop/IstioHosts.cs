namespace Meshwork.Model.Interop;

/// <summary>
/// Istio host names as mesh services: a short name ("reviews") is in the document's namespace
/// (as Istio interprets it), "reviews.prod" and "reviews.prod.svc[.cluster.local]" name the
/// namespace. Anything else (external names, wildcards) is not a mesh service.
/// </summary>
internal static class IstioHosts
{
    public static (string Service, string Namespace)? Service(string host, string documentNamespace)
    {
        if (host.Length == 0 || host.Contains('*') || host.Contains('/'))
            return null;
        var labels = host.Split('.');
        return labels.Length switch
        {
            1 => (labels[0], documentNamespace),
            2 => (labels[0], labels[1]),
            _ when labels[2] == "svc" => (labels[0], labels[1]),
            _ => null,
        };
    }
}
