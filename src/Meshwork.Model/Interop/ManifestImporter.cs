using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Serialization.Yaml;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Interop;

/// <summary>
/// Translates upstream manifests (Kubernetes Gateway API, Istio, SMI, Flagger, Argo Rollouts) into
/// Meshwork resources. Pure: no I/O. Never throws on input. Every document ends as resources, a
/// note saying why it was skipped, or errors; every field without an equivalent is a warning
/// naming its source path. Resources that would fail <see cref="ResourceValidator"/> are not
/// returned; their errors are.
/// </summary>
public static class ManifestImporter
{
    private delegate void Translator(DocumentReader document, ImportSession session);

    /// <summary>A kind we translate, the API versions it is accepted in, and its phase (DestinationRules first: routes read their subsets).</summary>
    private sealed record Format(string Group, string Kind, string[] Versions, Translator Translate, int Phase = 1);

    private static readonly IReadOnlyList<Format> Formats =
    [
        new("gateway.networking.k8s.io", "HTTPRoute", ["v1", "v1beta1"], GatewayApiHttpRouteImporter.Translate),
        new("gateway.networking.k8s.io", "TCPRoute", ["v1alpha2"], GatewayApiTcpRouteImporter.Translate),
        new("networking.istio.io", "DestinationRule", ["v1", "v1beta1", "v1alpha3"], IstioDestinationRuleImporter.Translate, Phase: 0),
        new("networking.istio.io", "VirtualService", ["v1", "v1beta1", "v1alpha3"], IstioVirtualServiceImporter.Translate),
        new("networking.istio.io", "Gateway", ["v1", "v1beta1", "v1alpha3"], IstioGatewayImporter.Translate),
        new("security.istio.io", "AuthorizationPolicy", ["v1", "v1beta1"], IstioAuthorizationPolicyImporter.Translate),
        new("specs.smi-spec.io", "HTTPRouteGroup", ["v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"], SmiHttpRouteGroupImporter.Translate, Phase: 0),
        new("split.smi-spec.io", "TrafficSplit", ["v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"], SmiTrafficSplitImporter.Translate),
        new("access.smi-spec.io", "TrafficTarget", ["v1alpha1", "v1alpha2", "v1alpha3"], SmiTrafficTargetImporter.Translate),
        new("flagger.app", "Canary", ["v1beta1", "v1alpha3"], FlaggerCanaryImporter.Translate),
        new("argoproj.io", "Rollout", ["v1alpha1"], ArgoRolloutImporter.Translate),
    ];

    /// <param name="yaml">One or more YAML documents separated by "---".</param>
    /// <param name="stored">
    /// What is stored, to translate against (Istio subsets become the stored versions with the same
    /// labels) and to validate against. Null: offline, services the documents refer to are assumed to exist.
    /// </param>
    public static ImportResult Import(string yaml, IReadOnlyList<Resource>? stored = null)
    {
        var session = new ImportSession(stored ?? []);
        yaml ??= "";
        if (yaml.Length > ResourceYaml.MaxLength)
            return new ImportResult([], [new InteropMessage("", $"the YAML is {yaml.Length:N0} characters long; at most {ResourceYaml.MaxLength:N0} are read at once", InteropSeverity.Error)]);
        if (YamlTreeReader.FindExcessiveFlowNesting(yaml) is { } line)
            return new ImportResult([], [new InteropMessage("", $"line {line}: brackets are nested more than {YamlTreeReader.MaxFlowNesting} deep; the YAML is not read", InteropSeverity.Error)]);

        var pending = new List<(Format Format, DocumentReader Document)>();
        foreach (var document in YamlTreeReader.ReadAll(yaml))
        {
            var path = $"[{document.Index}]";
            if (document.Error is not null)
                session.Messages.Add(new InteropMessage(path, document.Error, InteropSeverity.Error));
            else if (document.Root is not (null or YamlTreeScalar { IsNull: true }))
            {
                var reader = new DocumentReader(document.Index, document.Root, session.Messages);
                if (Recognise(reader) is { } format)
                    pending.Add((format, reader));
            }
        }
        foreach (var (format, document) in pending.OrderBy(p => p.Format.Phase).ThenBy(p => p.Document.Index))
        {
            var before = session.Made.Count;
            format.Translate(document, session);
            document.ReportUnread();
            if (document.HasErrors)
                session.DiscardFrom(before);
        }
        IstioRetries.Merge(session);
        var resources = Validate(session, stored is null);
        var messages = session.Messages.Select((m, i) => (m, i)).OrderBy(x => DocumentIndex(x.m.Path)).ThenBy(x => x.i).Select(x => x.m).ToList();
        return new ImportResult(resources, messages);
    }

    /// <summary>The translator for a document, or null with a note (not ours to translate) or an error (ours, but unreadable).</summary>
    private static Format? Recognise(DocumentReader document)
    {
        var root = document.Root;
        if (!root.IsMapping)
        {
            document.Error(root.Path, "a document must be a mapping with apiVersion and kind");
            return null;
        }
        var apiVersion = root.String("apiVersion") ?? "";
        var kind = root.String("kind") ?? "";
        root.Ignore("status");
        var slash = apiVersion.LastIndexOf('/');
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        var format = Formats.FirstOrDefault(f => f.Group == group && f.Kind == kind);
        if (format is null)
        {
            document.Note(root.Path, kind.Length == 0
                ? "skipped: the document has no kind"
                : $"skipped: {kind} ({(apiVersion.Length == 0 ? "no apiVersion" : apiVersion)}) has no Meshwork equivalent");
            return null;
        }
        if (!format.Versions.Contains(version))
        {
            document.Error(root.FieldPath("apiVersion"), $"'{apiVersion}' is not a version of {kind} this importer reads; use one of {string.Join(", ", format.Versions.Select(v => $"{group}/{v}"))}");
            return null;
        }
        return format;
    }

    /// <summary>
    /// Checks every made resource as the store would (offline: against the batch, with the
    /// services it refers to assumed to exist). A resource with errors is dropped and its errors
    /// are reported on its source document, in the resource's own shape.
    /// </summary>
    private static List<Resource> Validate(ImportSession session, bool offline)
    {
        var made = session.Made.ToList();
        var batch = made.Select(m => m.Resource).ToList();
        var keys = batch.Select(r => r.Key).ToHashSet();
        var context = session.Stored.Where(r => !keys.Contains(r.Key)).Concat(batch).ToList();
        if (offline)
            context.AddRange(AssumedServices(context));
        var validation = ResourceValidator.ValidateAll(batch, ValidationContext.From(context));
        var accepted = new List<Resource>();
        for (var i = 0; i < made.Count; i++)
        {
            var (resource, source) = made[i];
            var prefix = $"[{i}]";
            var issues = validation.Issues
                .Where(v => v.Path == prefix || v.Path.StartsWith(prefix + ".", StringComparison.Ordinal))
                .ToList();
            var at = $"{source.Root.Path} ({resource.Kind} {resource.Metadata.Namespace}/{resource.Metadata.Name})";
            foreach (var issue in issues)
            {
                var inResource = issue.Path.Length > prefix.Length ? issue.Path[(prefix.Length + 1)..] : "";
                var message = inResource.Length == 0 ? issue.Message : $"{inResource}: {issue.Message}";
                session.Messages.Add(new InteropMessage(at, message, issue.Severity == IssueSeverity.Error ? InteropSeverity.Error : InteropSeverity.Warning));
            }
            if (issues.All(v => v.Severity != IssueSeverity.Error))
                accepted.Add(resource);
        }
        return accepted;
    }

    /// <summary>Offline there is no store: each service a resource names stands in with the versions named.</summary>
    private static IEnumerable<Service> AssumedServices(IReadOnlyList<Resource> resources)
    {
        var known = resources.OfType<Service>().Select(s => (s.Metadata.Namespace, s.Metadata.Name)).ToHashSet();
        return ServiceReferences.Of(resources)
            .Where(r => !known.Contains((r.Namespace, r.Service)))
            .GroupBy(r => (r.Namespace, r.Service))
            .Select(g => new Service
            {
                Metadata = new ResourceMetadata { Name = g.Key.Service, Namespace = g.Key.Namespace },
                Versions = g.Select(r => r.Version).OfType<string>().Distinct().Select(v => new ServiceVersion { Name = v }).ToList(),
            });
    }

    private static int DocumentIndex(string path) =>
        path.StartsWith('[') && path.IndexOf(']') is > 1 and var end && int.TryParse(path.AsSpan(1, end - 1), out var index) ? index : -1;
}
