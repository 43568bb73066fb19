using System.Text.Json.Nodes;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.Model.Editing;

/// <summary>
/// "Theirs plus my changed fields": someone stored a newer version while a person edited an older
/// one. The merge starts from theirs and applies every field the person changed relative to the
/// version they loaded, so neither side's change is lost. Where both changed the same field
/// differently, the person's value wins (they are the one choosing to overwrite) and the field is
/// reported so it can be shown. Lists are merged entry by entry while both sides kept the loaded
/// length (or one side changed its length: the other side's edits of entries still at their place are
/// kept); a list whose length both sides changed is taken whole from the person.
/// </summary>
public static class ThreeWayMerge
{
    public sealed record Result(Resource Merged, IReadOnlyList<string> BothChanged);

    /// <param name="loaded">The version the person started from.</param>
    /// <param name="mine">The person's edit of <paramref name="loaded"/>.</param>
    /// <param name="theirs">What is stored now; the merge carries its version.</param>
    public static Result Merge(Resource loaded, Resource mine, Resource theirs)
    {
        var both = new List<string>();
        var merged = Merge("", FieldDiff.ToNode(loaded), FieldDiff.ToNode(mine), FieldDiff.ToNode(theirs), both);
        var resource = MeshworkJson.Deserialize(merged!.ToJsonString());
        resource = resource with { Metadata = resource.Metadata with { Version = theirs.Metadata.Version } };
        return new Result(resource, both);
    }

    private static JsonNode? Merge(string path, JsonNode? loaded, JsonNode? mine, JsonNode? theirs, List<string> both)
    {
        if (JsonNode.DeepEquals(mine, loaded))
            return theirs?.DeepClone();
        if (JsonNode.DeepEquals(theirs, loaded) || JsonNode.DeepEquals(theirs, mine))
            return mine?.DeepClone();
        switch (loaded, mine, theirs)
        {
            case (JsonObject l, JsonObject m, JsonObject t):
                var result = new JsonObject();
                foreach (var key in t.Select(p => p.Key).Concat(m.Select(p => p.Key)).Distinct())
                {
                    var value = Merge(Validation.ValidationPath.Key(path, key), l[key], m[key], t[key], both);
                    if (value is not null || (m.ContainsKey(key) && t.ContainsKey(key)))
                        result[key] = value;
                }
                return result;
            case (JsonArray l, JsonArray m, JsonArray t) when l.Count == m.Count && l.Count == t.Count:
                return new JsonArray(Enumerable.Range(0, l.Count)
                    .Select(i => Merge(Validation.ValidationPath.Index(path, i), l[i], m[i], t[i], both)).ToArray());
            case (JsonArray l, JsonArray m, JsonArray t) when l.Count == m.Count:
                // Only they changed the list's length: keep their list, with my edits of entries both still hold at the same place.
                return new JsonArray(Enumerable.Range(0, t.Count)
                    .Select(i => i < l.Count ? Merge(Validation.ValidationPath.Index(path, i), l[i], m[i], t[i], both) : t[i]?.DeepClone()).ToArray());
            case (JsonArray l, JsonArray m, JsonArray t) when l.Count == t.Count:
                // Only I changed the length: my list, with their edits of entries both still hold at the same place.
                return new JsonArray(Enumerable.Range(0, m.Count)
                    .Select(i => i < l.Count ? Merge(Validation.ValidationPath.Index(path, i), l[i], m[i], t[i], both) : m[i]?.DeepClone()).ToArray());
            default:
                both.Add(path);
                return mine?.DeepClone();
        }
    }
}
