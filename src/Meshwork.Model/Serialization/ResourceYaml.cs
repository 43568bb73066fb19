using System.Text;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization.Yaml;
using Meshwork.Model.Validation;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Meshwork.Model.Serialization;

/// <summary>
/// YAML import and export in Meshwork's own Kubernetes-like schema: <c>kind</c>, <c>metadata</c>
/// (name, namespace, labels, version), then the resource's fields at the top level in camelCase:
/// the same shape as <see cref="MeshworkJson"/>, so there is one schema for every surface.
/// </summary>
public static class ResourceYaml
{
    /// <summary>16 Mi characters: far beyond any mesh's configuration, small enough to read safely.</summary>
    public const int MaxLength = 16 * 1024 * 1024;

    /// <summary>
    /// Reads every document of a multi-document stream. Never throws: malformed YAML, unknown
    /// kinds or fields, wrong types and bad durations become issues whose paths start with the
    /// zero-based document index (<c>[1].rules[0].matches</c>). Empty documents are skipped. It
    /// reads shape, not meaning: pass the resources to <see cref="ResourceValidator"/> next.
    /// </summary>
    public static YamlReadResult Read(string yaml)
    {
        var resources = new List<Resource>();
        var issues = new List<ValidationIssue>();
        yaml ??= "";
        if (yaml.Length > MaxLength)
            return new YamlReadResult([], [new ValidationIssue("", $"the YAML is {yaml.Length:N0} characters long; at most {MaxLength:N0} are read at once")]);
        if (YamlTreeReader.FindExcessiveFlowNesting(yaml) is { } line)
            return new YamlReadResult([], [new ValidationIssue("", $"line {line}: brackets are nested more than {YamlTreeReader.MaxFlowNesting} deep; the YAML is not read")]);
        try
        {
            foreach (var document in YamlTreeReader.ReadAll(yaml))
            {
                var prefix = $"[{document.Index}]";
                if (document.Error is not null)
                {
                    issues.Add(new ValidationIssue(prefix, document.Error));
                    continue;
                }
                if (document.Root is null or YamlTreeScalar { IsNull: true })
                    continue;
                var json = YamlToJson.Convert(document.Root, prefix, issues);
                if (json is null)
                    continue;
                try
                {
                    var resource = json.Deserialize<Resource>(MeshworkJson.Options);
                    if (resource is null)
                        issues.Add(new ValidationIssue(prefix, "the document holds no resource"));
                    else
                        resources.Add(resource);
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException or ArgumentException or FormatException or OverflowException)
                {
                    // The YAML walk checks what MeshworkJson checks, so this is a backstop only.
                    var path = ex is JsonException { Path: { } p } ? p.TrimStart('$').TrimStart('.') : "";
                    issues.Add(new ValidationIssue(ValidationPath.Prefix(document.Index, path), ex.Message));
                }
            }
        }
        catch (Exception ex)
        {
            // Never throw on input; an unforeseen failure is still reported, not raised.
            issues.Add(new ValidationIssue("", $"the YAML could not be read: {ex.Message}"));
        }
        return new YamlReadResult(resources, issues);
    }

    /// <summary>Writes each resource as one document ("---" before each). Read(Write(x)) equals x.</summary>
    public static string Write(IEnumerable<Resource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var text = new StringWriter(new StringBuilder()) { NewLine = "\n" };
        var emitter = new Emitter(text, bestIndent: 2, bestWidth: int.MaxValue);
        emitter.Emit(new StreamStart());
        foreach (var resource in resources)
        {
            ArgumentNullException.ThrowIfNull(resource, nameof(resources));
            using var json = JsonDocument.Parse(MeshworkJson.Serialize(resource));
            JsonToYaml.EmitDocument(emitter, json.RootElement);
        }
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    /// <summary>One resource as one document.</summary>
    public static string Write(Resource resource) => Write([resource]);
}
