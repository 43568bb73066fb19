using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Meshwork.Portal.Api;

/// <summary>Counts the documents of a YAML stream from parser events alone (no tree, no aliases expanded), stopping at the limit.</summary>
public static class YamlDocuments
{
    /// <summary>True when <paramref name="yaml"/> holds more than <paramref name="limit"/> documents; malformed YAML is left to ResourceYaml to report.</summary>
    public static bool MoreThan(string yaml, int limit)
    {
        var parser = new Parser(new StringReader(yaml));
        var documents = 0;
        try
        {
            while (parser.MoveNext())
            {
                if (parser.Current is DocumentStart && ++documents > limit)
                    return true;
            }
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner throws some of these on malformed input: ResourceYaml reports it properly.
        }
        return false;
    }
}
