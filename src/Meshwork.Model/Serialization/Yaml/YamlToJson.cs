using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Meshwork.Model.Resources;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Serialization.Yaml;

/// <summary>
/// Turns one YAML document into the JSON form <see cref="MeshworkJson"/> reads, guided by the
/// resource's JSON contract (property names, types, required members). Because the contract is
/// MeshworkJson's own, YAML and JSON share ONE schema. Along the way it reports, with paths,
/// everything a person can get wrong: unknown kind or field, wrong type, bad duration or enum.
/// YAML scalars are typed by the field they fill, so <c>value: true</c> in a header match is the
/// string "true", and strings never need quoting to stay strings.
/// </summary>
internal sealed class YamlToJson
{
    /// <summary>Bounds the work on alias-heavy input ("billion laughs").</summary>
    private const int MaxNodes = 100_000;

    private readonly List<ValidationIssue> _issues;
    private readonly string _prefix;
    private int _nodes;

    private YamlToJson(List<ValidationIssue> issues, string prefix)
    {
        _issues = issues;
        _prefix = prefix;
    }

    public static readonly IReadOnlyDictionary<string, Type> KindTypes = BuildKindTypes();

    private static Dictionary<string, Type> BuildKindTypes()
    {
        var options = MeshworkJson.Options.GetTypeInfo(typeof(Resource)).PolymorphismOptions!;
        return options.DerivedTypes.ToDictionary(d => (string)d.TypeDiscriminator!, d => d.DerivedType, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The JSON object for <paramref name="root"/>, or null when the document has issues.</summary>
    public static JsonObject? Convert(YamlTreeNode root, string prefix, List<ValidationIssue> issues)
    {
        var before = issues.Count;
        var converter = new YamlToJson(issues, prefix);
        var json = converter.ConvertResource(root);
        return issues.Count == before ? json : null;
    }

    private JsonObject? ConvertResource(YamlTreeNode root)
    {
        if (root is not YamlTreeMapping mapping)
        {
            Error("", "a document must be a mapping with kind, metadata and the resource's fields");
            return null;
        }
        var kinds = string.Join(", ", KindTypes.Keys);
        var kindEntries = mapping.Entries.Where(e => e.Key is YamlTreeScalar { Value: "kind" }).ToList();
        if (kindEntries.Count > 1)
        {
            Error("kind", $"line {kindEntries[1].Key.Line}: 'kind' is given more than once");
            return null;
        }
        var kindNode = kindEntries.FirstOrDefault().Value;
        if (kindNode is not YamlTreeScalar { IsNull: false } kindScalar)
        {
            Error("kind", $"is required; one of {kinds}");
            return null;
        }
        if (!KindTypes.TryGetValue(kindScalar.Value, out var type))
        {
            Error("kind", $"'{kindScalar.Value}' is not a kind; one of {kinds}");
            return null;
        }
        var canonicalKind = KindTypes.Keys.First(k => string.Equals(k, kindScalar.Value, StringComparison.OrdinalIgnoreCase));
        var json = new JsonObject { ["kind"] = canonicalKind };
        var body = ConvertObject(mapping, MeshworkJson.Options.GetTypeInfo(type), "", skipKey: "kind");
        if (body is null)
            return null;
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            json[key] = value;
        }
        return json;
    }

    private JsonNode? Convert(YamlTreeNode node, Type type, string path)
    {
        if (++_nodes > MaxNodes)
        {
            if (_nodes == MaxNodes + 1)
                Error(path, $"the document expands to more than {MaxNodes} values (anchors and aliases?); it is too large to read");
            return null;
        }
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        var info = MeshworkJson.Options.GetTypeInfo(underlying);
        return info.Kind switch
        {
            JsonTypeInfoKind.Object => node is YamlTreeMapping m ? ConvertObject(m, info, path, skipKey: null) : Mismatch(node, path, "a mapping"),
            JsonTypeInfoKind.Enumerable => node is YamlTreeSequence s ? ConvertList(s, info.ElementType!, path) : Mismatch(node, path, "a list"),
            JsonTypeInfoKind.Dictionary => node is YamlTreeMapping d ? ConvertDictionary(d, info.ElementType!, path) : Mismatch(node, path, "a mapping"),
            _ => node is YamlTreeScalar scalar ? ConvertScalar(scalar, underlying, path) : Mismatch(node, path, ScalarDescription(underlying)),
        };
    }

    private JsonObject? ConvertObject(YamlTreeMapping mapping, JsonTypeInfo info, string path, string? skipKey)
    {
        var result = new JsonObject();
        var ok = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Entries)
        {
            if (keyNode is not YamlTreeScalar { IsNull: false } keyScalar)
            {
                Error(path, $"line {keyNode.Line}: a field name must be a plain string");
                ok = false;
                continue;
            }
            var key = keyScalar.Value;
            if (key == skipKey)
                continue;
            var property = info.Properties.FirstOrDefault(p => p.Name == key)
                ?? info.Properties.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
            var fieldPath = ValidationPath.Field(path, property?.Name ?? key);
            if (property is null)
            {
                var known = string.Join(", ", info.Properties.Select(p => p.Name));
                Error(fieldPath, $"unknown field '{key}'; known fields here: {known}");
                ok = false;
                continue;
            }
            if (!seen.Add(property.Name))
            {
                Error(fieldPath, $"line {keyNode.Line}: '{key}' is given more than once");
                ok = false;
                continue;
            }
            if (valueNode is YamlTreeScalar { IsNull: true })
            {
                // As in Kubernetes, an explicit null means "not set": the default applies.
                if (property.IsRequired)
                {
                    Error(fieldPath, "is required");
                    ok = false;
                }
                else if (property.IsSetNullable)
                    result[property.Name] = null;
                continue;
            }
            var before = _issues.Count;
            var value = Convert(valueNode, property.PropertyType, fieldPath);
            if (_issues.Count != before)
                ok = false;
            else
                result[property.Name] = value;
        }
        foreach (var property in info.Properties)
        {
            if (property.IsRequired && !seen.Contains(property.Name))
            {
                Error(ValidationPath.Field(path, property.Name), "is required");
                ok = false;
            }
        }
        return ok ? result : null;
    }

    private JsonArray? ConvertList(YamlTreeSequence sequence, Type elementType, string path)
    {
        var result = new JsonArray();
        var ok = true;
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            if (sequence.Items[i] is YamlTreeScalar { IsNull: true })
            {
                Error(itemPath, "an empty list item is not allowed");
                ok = false;
                continue;
            }
            var before = _issues.Count;
            var value = Convert(sequence.Items[i], elementType, itemPath);
            if (_issues.Count != before)
                ok = false;
            else
                result.Add(value);
        }
        return ok ? result : null;
    }

    private JsonObject? ConvertDictionary(YamlTreeMapping mapping, Type valueType, string path)
    {
        var result = new JsonObject();
        var ok = true;
        foreach (var (keyNode, valueNode) in mapping.Entries)
        {
            if (keyNode is not YamlTreeScalar keyScalar || keyScalar.IsNull)
            {
                Error(path, $"line {keyNode.Line}: a key must be a non-empty string");
                ok = false;
                continue;
            }
            var entryPath = ValidationPath.Key(path, keyScalar.Value);
            if (result.ContainsKey(keyScalar.Value))
            {
                Error(entryPath, $"line {keyNode.Line}: '{keyScalar.Value}' is given more than once");
                ok = false;
                continue;
            }
            if (valueNode is YamlTreeScalar { IsNull: true })
            {
                Error(entryPath, "a value is required");
                ok = false;
                continue;
            }
            var before = _issues.Count;
            var value = Convert(valueNode, valueType, entryPath);
            if (_issues.Count != before)
                ok = false;
            else
                result[keyScalar.Value] = value;
        }
        return ok ? result : null;
    }

    private JsonNode? ConvertScalar(YamlTreeScalar scalar, Type type, string path)
    {
        var text = scalar.Value;
        if (type == typeof(string))
            return JsonValue.Create(text);
        if (type == typeof(TimeSpan))
        {
            if (Durations.TryParse(text, out _))
                return JsonValue.Create(text.Trim());
            Error(path, Durations.FormatError(text));
            return null;
        }
        if (type == typeof(int))
            return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                ? JsonValue.Create(i) : Wrong(scalar, path, "a whole number");
        if (type == typeof(long))
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                ? JsonValue.Create(l) : Wrong(scalar, path, "a whole number");
        if (type == typeof(double))
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                ? JsonValue.Create(d) : Wrong(scalar, path, "a number");
        if (type == typeof(bool))
            return text switch
            {
                "true" or "True" or "TRUE" => JsonValue.Create(true),
                "false" or "False" or "FALSE" => JsonValue.Create(false),
                _ => Wrong(scalar, path, "true or false"),
            };
        if (type.IsEnum)
        {
            var name = Enum.GetNames(type).FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            if (name is not null)
                return JsonValue.Create(JsonNamingPolicy.CamelCase.ConvertName(name));
            var names = string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.CamelCase.ConvertName));
            Error(path, $"'{text}' is not allowed here; one of {names}");
            return null;
        }
        Error(path, $"values of type {type.Name} cannot be read from YAML");
        return null;
    }

    private static string ScalarDescription(Type type) =>
        type == typeof(int) || type == typeof(long) ? "a whole number"
        : type == typeof(double) ? "a number"
        : type == typeof(bool) ? "true or false"
        : type == typeof(TimeSpan) ? "a duration such as 10s"
        : type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.CamelCase.ConvertName))
        : "a string";

    private JsonNode? Wrong(YamlTreeScalar scalar, string path, string expected)
    {
        Error(path, $"'{scalar.Value}' is not {expected}");
        return null;
    }

    private JsonNode? Mismatch(YamlTreeNode node, string path, string expected)
    {
        var found = node switch
        {
            YamlTreeMapping => "a mapping",
            YamlTreeSequence => "a list",
            _ => "a single value",
        };
        Error(path, $"expected {expected}, found {found} (line {node.Line})");
        return null;
    }

    private void Error(string path, string message) => _issues.Add(new ValidationIssue(ValidationPath.Field(_prefix, path), message));
}
