using System.CommandLine;
using System.Net;
using Meshwork.Cli.Client;
using Meshwork.Model.Interop;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.Cli.Commands;

/// <summary>
/// export: writes stored resources (or Meshwork YAML files, offline with -f) as Meshwork YAML, Gateway
/// API HTTPRoutes or Istio manifests on stdout; what the target format cannot say goes to stderr.
/// </summary>
public static class ExportCommand
{
    private static readonly Dictionary<string, ExportFormat> Formats = new(StringComparer.OrdinalIgnoreCase)
    {
        ["meshwork"] = ExportFormat.Meshwork,
        ["gateway"] = ExportFormat.GatewayApi,
        ["istio"] = ExportFormat.Istio,
    };

    public static Command Create(CliEnvironment environment)
    {
        var format = new Option<string>("--format") { Description = "meshwork, gateway (Gateway API) or istio", DefaultValueFactory = _ => "meshwork" };
        var files = new Option<string[]>("--filename", "-f") { Description = "Meshwork YAML file(s) to export offline instead of the stored resources; - for stdin", AllowMultipleArgumentsPerToken = true };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Only this namespace (default: all)" };
        var command = new Command("export", "Write resources as Meshwork YAML, Gateway API or Istio manifests") { format, files, ns };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            if (!Formats.TryGetValue(parse.GetValue(format)!, out var target))
                throw new CliException($"unknown format '{parse.GetValue(format)}'; use one of: {string.Join(", ", Formats.Keys)}");
            var fileNames = parse.GetValue(files) ?? [];
            var all = fileNames.Length > 0 ? await ReadFilesAsync(environment, fileNames, ct) : await FetchStoredAsync(environment, ct);
            if (all is null)
                return 1;
            var selected = parse.GetValue(ns) is { } n ? all.Where(r => r.Metadata.Namespace == n).ToList() : all;
            var result = ManifestExporter.Export(selected, target, all);
            foreach (var message in result.Messages)
                await environment.Error.WriteLineAsync(message.ToString());
            await environment.Output.WriteAsync(result.Yaml);
            return 0;
        }));
        return command;
    }

    private static async Task<IReadOnlyList<Resource>?> ReadFilesAsync(CliEnvironment environment, string[] files, CancellationToken ct)
    {
        var (_, read) = await ResourceFiles.ReadAsync(files, ct);
        if (read.Issues.Count == 0)
            return read.Resources;
        await environment.Error.WriteLineAsync($"error: the file(s) could not be read ({read.Issues.Count} issue(s)):");
        foreach (var issue in read.Issues)
            await environment.Error.WriteLineAsync($"  {issue}");
        return null;
    }

    /// <summary>Every stored resource: routes are exported with their services' ports, versions and policies.</summary>
    private static async Task<IReadOnlyList<Resource>?> FetchStoredAsync(CliEnvironment environment, CancellationToken ct)
    {
        using var client = MeshctlApp.Connect(environment);
        var resources = new List<Resource>();
        foreach (var kind in Enum.GetValues<ResourceKind>())
        {
            using var response = await client.SendAsync(HttpMethod.Get, $"api/v1/{KindNames.Segment(kind)}", accept: MeshworkClient.YamlMediaType, ct: ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                foreach (var line in await MeshworkClient.DescribeProblemAsync(response, ct))
                    await environment.Error.WriteLineAsync(line);
                return null;
            }
            var read = ResourceYaml.Read(await response.Content.ReadAsStringAsync(ct));
            if (read.Issues.Count > 0)
                throw new CliException($"the portal's {KindNames.Segment(kind)} could not be read: {read.Issues[0]}");
            resources.AddRange(read.Resources);
        }
        return resources;
    }
}
