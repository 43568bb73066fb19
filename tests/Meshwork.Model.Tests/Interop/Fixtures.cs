using Meshwork.Model.Interop;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Interop;

/// <summary>Reads the upstream fixtures (written from the upstream specifications) and finds what an import said.</summary>
internal static class Fixtures
{
    public static ImportResult Import(string file, IReadOnlyList<Resource>? stored = null) =>
        ManifestImporter.Import(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Interop", "Fixtures", file)), stored);

    public static T Single<T>(this ImportResult result, string name) where T : Resource =>
        Assert.Single(result.Resources.OfType<T>(), r => r.Metadata.Name == name);

    /// <summary>The one message at exactly this source path.</summary>
    public static InteropMessage At(this ImportResult result, string path, InteropSeverity severity = InteropSeverity.Warning)
    {
        var found = result.Messages.Where(m => m.Path == path && m.Severity == severity).ToList();
        Assert.True(found.Count == 1, $"expected one {severity} at {path}; messages:\n{string.Join("\n", result.Messages)}");
        return found[0];
    }

    public static void NothingAt(this ImportResult result, string pathPrefix) =>
        Assert.DoesNotContain(result.Messages, m => m.Path.StartsWith(pathPrefix, StringComparison.Ordinal));
}
