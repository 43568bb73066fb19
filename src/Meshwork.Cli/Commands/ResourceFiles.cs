using Meshwork.Model.Serialization;

namespace Meshwork.Cli.Commands;

/// <summary>Reads -f arguments: files, or "-" for standard input; every document of every file, in order.</summary>
public static class ResourceFiles
{
    public static async Task<(string Yaml, YamlReadResult Read)> ReadAsync(IReadOnlyList<string> files, CancellationToken ct)
    {
        var yaml = await ReadTextAsync(files, ct);
        return (yaml, ResourceYaml.Read(yaml));
    }

    /// <summary>The files' text as one stream of documents.</summary>
    public static async Task<string> ReadTextAsync(IReadOnlyList<string> files, CancellationToken ct)
    {
        var parts = new List<string>();
        foreach (var file in files)
        {
            if (file == "-")
                parts.Add(await Console.In.ReadToEndAsync(ct));
            else if (File.Exists(file))
                parts.Add(await File.ReadAllTextAsync(file, ct));
            else
                throw new Client.CliException($"{file}: no such file");
        }
        // Documents of several files form one stream, so "[i]" in messages counts across files.
        return string.Join("\n---\n", parts.Select(p => p.TrimEnd()));
    }
}
