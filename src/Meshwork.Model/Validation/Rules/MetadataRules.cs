using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>metadata: Kubernetes names (DNS-1123 labels), labels, and the store's version.</summary>
internal static class MetadataRules
{
    public static void Check(Checks checks, ResourceMetadata? metadata)
    {
        if (!checks.Required("metadata", metadata))
            return;
        checks.DnsLabel("metadata.name", metadata!.Name);
        checks.DnsLabel("metadata.namespace", metadata.Namespace);
        checks.Labels("metadata.labels", metadata.Labels);
        if (metadata.Version < 0)
            checks.Error("metadata.version", $"must not be negative, was {metadata.Version}");
    }
}
