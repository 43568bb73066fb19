using Meshwork.Model.Resources;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Serialization;

/// <summary>
/// The resources read from a YAML stream, and what could not be read. Issue paths start with the
/// document index ("[1].rules[0].matches"); a document with issues contributes no resource.
/// </summary>
public sealed record YamlReadResult(IReadOnlyList<Resource> Resources, IReadOnlyList<ValidationIssue> Issues)
{
    public bool IsValid => Issues.Count == 0;
}
