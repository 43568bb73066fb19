using System.Globalization;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// SMI TrafficSplit (split.smi-spec.io v1alpha1-v1alpha4): calls to the root service are split
/// over backend services by weight. With matches (v1alpha3+), only requests an HTTPRouteGroup
/// matches are split; the others go to the root service, as before.
/// </summary>
internal static class SmiTrafficSplitImporter
{
    public static void Translate(DocumentReader document, ImportSession session)
    {
        if (document.MetadataAndSpec() is not var (metadata, spec))
            return;
        var root = spec.String("service") ?? "";
        if (IstioHosts.Service(root, metadata.Namespace) is not var (service, ns) || ns != metadata.Namespace)
        {
            document.Error(spec.FieldPath("service"), $"'{root}' is not a service of namespace '{metadata.Namespace}'");
            return;
        }
        var weighted = spec.Items("backends").Select(b => (Service: b.String("service") ?? "", Weight: Weight(b, document))).ToList();
        // v1alpha1 weights are Kubernetes quantities ("500m" is 0.5): fractions are scaled by 1000 to stay whole.
        var scale = weighted.All(b => b.Weight == decimal.Truncate(b.Weight)) ? 1 : 1000;
        var backends = weighted.Select(b => new BackendRef { Service = b.Service, Weight = (int)Math.Min(1_000_000, b.Weight * scale) }).ToList();
        var matches = new List<HttpRouteMatch>();
        foreach (var reference in spec.Items("matches"))
        {
            reference.Ignore("apiGroup");
            var kind = reference.String("kind");
            var name = reference.String("name") ?? "";
            if (kind != "HTTPRouteGroup")
                document.Error(reference.FieldPath("kind"), $"'{kind}' matches have no equivalent (HTTPRouteGroup does)");
            else if (!session.RouteGroups.TryGetValue((metadata.Namespace, name), out var group))
                document.Error(reference.FieldPath("name"), $"HTTPRouteGroup '{name}' is not in the file; put it in the same import");
            else
                matches.AddRange(group.SelectMany(SmiHttpRouteGroupImporter.RouteMatches));
        }
        var rules = new List<HttpRouteRule> { new() { Matches = matches, BackendRefs = backends } };
        if (matches.Count > 0)
            rules.Add(new HttpRouteRule { BackendRefs = [new BackendRef { Service = service }] });
        session.Add(new HttpRoute { Metadata = metadata, ParentRefs = [new ParentRef { Name = service }], Rules = rules }, document);
    }

    private static decimal Weight(SpecNode backend, DocumentReader document)
    {
        var node = backend.Field("weight");
        if (node?.Scalar() is not { } text)
            return 0;
        var milli = text.EndsWith('m');
        if (decimal.TryParse(milli ? text[..^1] : text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value >= 0)
            return milli ? value / 1000 : value;
        document.Error(node.Path, $"'{text}' is not a weight");
        return 0;
    }
}
