using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Meshwork.Model.Serialization.Yaml;

/// <summary>
/// Emits the JSON form of a resource as one YAML document, block style, "kind" first. Strings
/// that a YAML reader could take for a number, boolean or null are quoted, so the text means the
/// same to any YAML tool, not only to ours.
/// </summary>
internal static partial class JsonToYaml
{
    // YAML 1.1 and 1.2 core-schema plain scalars that are not strings.
    [GeneratedRegex(@"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(?:\.[0-9]+|[0-9][0-9_,]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o?[0-7_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|<<|=)$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex NonStringPlain();

    public static void EmitDocument(IEmitter emitter, JsonElement root)
    {
        emitter.Emit(new DocumentStart(null, null, isImplicit: false));
        Emit(emitter, root, isRoot: true);
        emitter.Emit(new DocumentEnd(isImplicit: true));
    }

    private static void Emit(IEmitter emitter, JsonElement element, bool isRoot = false)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var properties = element.EnumerateObject().ToList();
                if (isRoot)
                {
                    // Read like a Kubernetes manifest: (apiVersion,) kind, metadata, then the fields.
                    properties = properties.OrderBy(p => p.Name switch { "apiVersion" => -1, "kind" => 0, "metadata" => 1, _ => 2 }).ToList();
                }
                var style = properties.Count == 0 ? MappingStyle.Flow : MappingStyle.Block;
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, isImplicit: true, style));
                foreach (var property in properties)
                {
                    EmitString(emitter, property.Name);
                    Emit(emitter, property.Value);
                }
                emitter.Emit(new MappingEnd());
                break;
            }
            case JsonValueKind.Array:
            {
                var style = element.GetArrayLength() == 0 ? SequenceStyle.Flow : SequenceStyle.Block;
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, isImplicit: true, style));
                foreach (var item in element.EnumerateArray())
                    Emit(emitter, item);
                emitter.Emit(new SequenceEnd());
                break;
            }
            case JsonValueKind.String:
                EmitString(emitter, element.GetString()!);
                break;
            case JsonValueKind.Number:
                EmitPlain(emitter, element.GetRawText());
                break;
            case JsonValueKind.True:
                EmitPlain(emitter, "true");
                break;
            case JsonValueKind.False:
                EmitPlain(emitter, "false");
                break;
            default:
                EmitPlain(emitter, "null");
                break;
        }
    }

    private static void EmitPlain(IEmitter emitter, string text) =>
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));

    private static void EmitString(IEmitter emitter, string text)
    {
        var needsQuotes = text.Length == 0 || NonStringPlain().IsMatch(text) || text.Any(c => char.IsControl(c) || char.IsSurrogate(c))
            || text != text.Trim() || HasWordStartingWithStar(text);
        var style = needsQuotes ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, style, isPlainImplicit: true, isQuotedImplicit: true));
    }

    /// <summary>
    /// YamlDotNet's scanner reads a plain word that starts with '*' as if it were an alias name, in
    /// which ": " does not end the scalar. Its emitter still writes such text plain, so the label key
    /// "v2 *" came out as <c>v2 *: x</c> and read back as one scalar "v2 *: x" (an error, or, when a
    /// quoted value followed, silently a different key and value). YAML itself allows the plain form;
    /// quoting is what both YamlDotNet and other YAML tools read back unchanged.
    /// </summary>
    private static bool HasWordStartingWithStar(string text)
    {
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] == '*' && char.IsWhiteSpace(text[i - 1]))
                return true;
        }
        return false;
    }
}
