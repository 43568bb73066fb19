using System.Text.Json.Nodes;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Editing;

/// <summary>One field that differs between two versions of a resource; a null side means the field is absent there.</summary>
public sealed record FieldChange(string Path, string? Before, string? After);

/// <summary>
/// The fields that differ between two versions of a resource, located with the validator's paths
/// (<c>rules[0].fault.abort.httpStatus</c>), so a form can mark the same field an issue would.
/// Compares the JSON contract (defaults included), so a field counts as changed exactly when the
/// stored document would change. The version is the store's and never counts.
/// </summary>
public static class FieldDiff
{
    public static IReadOnlyList<FieldChange> Between(Resource before, Resource after)
    {
        var left = Leaves(ToNode(before));
        var right = Leaves(ToNode(after));
        var changes = new List<FieldChange>();
        foreach (var (path, value) in left)
        {
            right.TryGetValue(path, out var other);
            if (other != value)
                changes.Add(new FieldChange(path, value, other));
        }
        foreach (var (path, value) in right)
        {
            if (!left.ContainsKey(path))
                changes.Add(new FieldChange(path, null, value));
        }
        return changes;
    }

    /// <summary>A resource as its JSON contract without the store's version: what an edit can change.</summary>
    internal static JsonNode ToNode(Resource resource)
    {
        var node = System.Text.Json.JsonSerializer.SerializeToNode(resource, MeshworkJson.Options)!;
        if (node["metadata"] is JsonObject metadata)
            metadata.Remove("version");
        return node;
    }

    /// <summary>Every leaf by path, in document order; an empty list or object is a leaf of its own so removing its content shows.</summary>
    private static Dictionary<string, string> Leaves(JsonNode node)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk("", node, leaves);
        return leaves;
    }

    private static void Walk(string path, JsonNode? node, Dictionary<string, string> leaves)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                foreach (var (key, value) in obj)
                    Walk(ValidationPath.Key(path, key), value, leaves);
                break;
            case JsonArray array when array.Count > 0:
                for (var i = 0; i < array.Count; i++)
                    Walk(ValidationPath.Index(path, i), array[i], leaves);
                break;
            default:
                leaves[path] = Display(node);
                break;
        }
    }

    private static string Display(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };
}
