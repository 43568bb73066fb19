using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Serialization.Yaml;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Meshwork.Model.Interop;

/// <summary>
/// Writes Meshwork resources as Gateway API or Istio manifests (or our own YAML), so leaving is as
/// easy as arriving. Pure: no I/O. What the target cannot say is a warning naming the resource
/// field; kinds without an equivalent are a note each. Importing the output gives back the same
/// resources for the fields both sides have.
/// </summary>
public static class ManifestExporter
{
    /// <param name="resources">What to export.</param>
    /// <param name="context">Other resources the export reads (service ports, versions and resilience policies); may overlap <paramref name="resources"/>.</param>
    public static ExportResult Export(IReadOnlyList<Resource> resources, ExportFormat format, IReadOnlyList<Resource>? context = null)
    {
        ArgumentNullException.ThrowIfNull(resources);
        if (format == ExportFormat.Meshwork)
            return new ExportResult(ResourceYaml.Write(resources), []);
        var all = resources.Concat(context ?? []).DistinctBy(r => r.Key).ToList();
        var messages = new List<InteropMessage>();
        var documents = new List<JsonObject>();
        for (var i = 0; i < resources.Count; i++)
        {
            var writer = new ExportWriter($"[{i}]", messages);
            documents.AddRange(format == ExportFormat.GatewayApi
                ? GatewayApiExporter.Export(resources[i], all, writer)
                : IstioExporter.Export(resources[i], resources, all, writer));
        }
        return new ExportResult(Write(documents), messages);
    }

    internal static JsonObject Manifest(string apiVersion, string kind, ResourceMetadata metadata, JsonObject spec)
    {
        var meta = new JsonObject { ["name"] = metadata.Name, ["namespace"] = metadata.Namespace };
        if (metadata.Labels.Count > 0)
            meta["labels"] = new JsonObject(metadata.Labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        return new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = meta, ["spec"] = spec };
    }

    private static string Write(IEnumerable<JsonObject> documents)
    {
        var text = new StringWriter(new StringBuilder()) { NewLine = "\n" };
        var emitter = new Emitter(text, bestIndent: 2, bestWidth: int.MaxValue);
        emitter.Emit(new StreamStart());
        foreach (var document in documents)
        {
            using var json = JsonDocument.Parse(document.ToJsonString());
            JsonToYaml.EmitDocument(emitter, json.RootElement);
        }
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }
}

/// <summary>Where one exported resource's messages go, with paths in the resource's own shape.</summary>
internal sealed class ExportWriter(string prefix, List<InteropMessage> messages)
{
    public void Warning(string path, string message) =>
        messages.Add(new InteropMessage(path.Length == 0 ? prefix : $"{prefix}.{path}", message, InteropSeverity.Warning));

    public void Note(string message) => messages.Add(new InteropMessage(prefix, message, InteropSeverity.Note));

    /// <summary>Gateway API and Istio durations have millisecond precision (h, m, s, ms).</summary>
    public string Duration(TimeSpan value, string path)
    {
        var rounded = TimeSpan.FromMilliseconds(Math.Max(1, Math.Round(value.TotalMilliseconds)));
        if (rounded != value)
            Warning(path, $"durations have millisecond precision here; {Durations.Format(value)} is written as {Durations.Format(rounded)}");
        return Durations.Format(rounded);
    }
}
