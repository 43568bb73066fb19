using Meshwork.Model.Resources;
using Meshwork.Model.Serialization.Yaml;

namespace Meshwork.Model.Interop;

/// <summary>
/// One upstream document being translated: its root cursor, its messages, and the checks every
/// format shares (metadata). A document with an error yields no resource.
/// </summary>
internal sealed class DocumentReader
{
    private readonly List<SpecNode> _tracked = [];
    private readonly List<InteropMessage> _messages;
    private int _errors;

    public DocumentReader(int index, YamlTreeNode root, List<InteropMessage> messages)
    {
        Index = index;
        _messages = messages;
        Root = new SpecNode(root, $"[{index}]", this);
    }

    public int Index { get; }
    public SpecNode Root { get; }
    public bool HasErrors => _errors > 0;

    /// <summary>"[3]" or "[3] VirtualService reviews": how messages about the whole document start.</summary>
    public string Describe { get; set; } = "";

    public void Track(SpecNode node) => _tracked.Add(node);

    public void Error(string path, string message)
    {
        _errors++;
        _messages.Add(new InteropMessage(path, message, InteropSeverity.Error));
    }

    public void Warning(string path, string message) => _messages.Add(new InteropMessage(path, message, InteropSeverity.Warning));

    public void Note(string path, string message) => _messages.Add(new InteropMessage(path, message, InteropSeverity.Note));

    /// <summary>Warns about every field no translator read; call once, after translating.</summary>
    public void ReportUnread()
    {
        foreach (var node in _tracked.ToList())
            node.ReportUnread();
    }

    /// <summary>Metadata and spec, both required; null (with the errors) when either is missing.</summary>
    public (ResourceMetadata Metadata, SpecNode Spec)? MetadataAndSpec()
    {
        var metadata = Metadata();
        var spec = Root.Field("spec");
        if (spec is null)
            Error(Root.FieldPath("spec"), "is required");
        return metadata is null || spec is null ? null : (metadata, spec);
    }

    /// <summary>
    /// Kubernetes metadata: name, namespace (default "default" as kubectl would apply it without
    /// -n), labels. Bookkeeping the API server writes is ignored; annotations are warned about.
    /// </summary>
    public ResourceMetadata? Metadata(string? nameOverride = null)
    {
        var metadata = Root.Field("metadata");
        if (metadata is null)
        {
            Error(Root.FieldPath("metadata"), "is required (with a name)");
            return null;
        }
        metadata.Ignore("uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
            "deletionGracePeriodSeconds", "managedFields", "selfLink", "ownerReferences", "finalizers", "generateName");
        foreach (var (key, _) in metadata.Entries("annotations"))
        {
            if (key != "kubectl.kubernetes.io/last-applied-configuration")
                Warning($"{metadata.FieldPath("annotations")}[\"{key}\"]", "annotations have no equivalent in Meshwork; ignored");
        }
        var name = metadata.String("name");
        if (string.IsNullOrEmpty(name))
        {
            Error(metadata.FieldPath("name"), "is required");
            return null;
        }
        return new ResourceMetadata
        {
            Name = nameOverride ?? name,
            Namespace = metadata.String("namespace") is { Length: > 0 } ns ? ns : ResourceMetadata.DefaultNamespace,
            Labels = metadata.StringMap("labels"),
        };
    }
}
