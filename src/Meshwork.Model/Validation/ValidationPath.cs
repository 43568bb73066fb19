using System.Text.RegularExpressions;

namespace Meshwork.Model.Validation;

/// <summary>Builds the JSON-path-like locations of issues: <c>rules[1].backendRefs[0].weight</c>.</summary>
public static partial class ValidationPath
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]*$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex SimpleKey();

    public static string Field(string path, string field) =>
        path.Length == 0 ? field : field.Length == 0 ? path : $"{path}.{field}";

    public static string Index(string path, int index) => $"{path}[{index}]";

    /// <summary>A map entry: <c>labels.app</c>, or <c>labels["app.kubernetes.io/name"]</c> when the key is not a plain word.</summary>
    public static string Key(string path, string key) =>
        SimpleKey().IsMatch(key) ? Field(path, key) : $"{path}[\"{key.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"]";

    /// <summary>Prefixes <paramref name="path"/> with a batch or document index: <c>[2].metadata.name</c>.</summary>
    public static string Prefix(int index, string path) => path.Length == 0 ? $"[{index}]" : $"[{index}].{path}";
}
