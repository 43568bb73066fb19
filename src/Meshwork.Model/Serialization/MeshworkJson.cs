using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Serialization;

/// <summary>
/// The one JSON form of resources: camelCase, enums as strings, durations as "10s". Used by the
/// store (jsonb), the REST API and snapshot files, so every surface reads and writes the same text.
/// </summary>
public static class MeshworkJson
{
    public static readonly JsonSerializerOptions Options = Create(indented: false);
    public static readonly JsonSerializerOptions Indented = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            AllowOutOfOrderMetadataProperties = true,
            RespectNullableAnnotations = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { HideComputedResourceMembers } },
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.Converters.Add(new DurationJsonConverter());
        options.Converters.Add(new NullableDurationJsonConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// Resource.Kind and Resource.Key are computed, not data: "kind" is the polymorphic
    /// discriminator. [JsonIgnore] on the abstract base member does not carry over to the
    /// overrides, so they are removed from every resource type's contract here.
    /// </summary>
    internal static void HideComputedResourceMembers(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object || !typeof(Resource).IsAssignableFrom(info.Type))
            return;
        for (var i = info.Properties.Count - 1; i >= 0; i--)
        {
            if (info.Properties[i].Name is "kind" or "key")
                info.Properties.RemoveAt(i);
        }
    }

    public static string Serialize(Resource resource) => JsonSerializer.Serialize(resource, Options);

    public static Resource Deserialize(string json) =>
        JsonSerializer.Deserialize<Resource>(json, Options) ?? throw new JsonException("expected a resource, found null");

    /// <summary>
    /// Deep-equality form of a resource: two resources are equal when their canonical texts are.
    /// Object keys are sorted (ordinal), so the order of map entries such as labels does not matter
    /// (PostgreSQL jsonb, for one, does not keep it); array order does.
    /// </summary>
    public static string Canonical(Resource resource) =>
        SortKeys(JsonSerializer.SerializeToNode(resource, Options))?.ToJsonString() ?? "null";

    private static JsonNode? SortKeys(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, SortKeys(p.Value)))),
        JsonArray array => new JsonArray(array.Select(SortKeys).ToArray()),
        _ => node?.DeepClone(),
    };

    internal sealed class DurationJsonConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            return Durations.TryParse(text, out var value) ? value : throw new JsonException(Durations.FormatError(text));
        }

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Durations.Format(value));
    }

    internal sealed class NullableDurationJsonConverter : JsonConverter<TimeSpan?>
    {
        public override bool HandleNull => true;

        public override TimeSpan? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
                return null;
            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            return Durations.TryParse(text, out var value) ? value : throw new JsonException(Durations.FormatError(text));
        }

        public override void Write(Utf8JsonWriter writer, TimeSpan? value, JsonSerializerOptions options)
        {
            if (value is { } v)
                writer.WriteStringValue(Durations.Format(v));
            else
                writer.WriteNullValue();
        }
    }
}
