using System.CommandLine;
using System.Net;
using Meshwork.Cli.Client;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.Cli.Commands;

/// <summary>diff -f: what apply would change, resource by resource (stored "-", file "+"). Exit 2 when something differs.</summary>
public static class DiffCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "YAML file(s); - for stdin", Required = true, AllowMultipleArgumentsPerToken = true };
        var command = new Command("diff", "Show what apply -f would change") { files };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            var (_, read) = await ResourceFiles.ReadAsync(parse.GetValue(files)!, ct);
            if (read.Issues.Count > 0)
            {
                foreach (var issue in read.Issues)
                    await environment.Error.WriteLineAsync($"  {issue}");
                return 1;
            }
            using var client = MeshctlApp.Connect(environment);
            var differs = false;
            foreach (var resource in read.Resources)
            {
                var key = resource.Key;
                using var response = await client.SendAsync(HttpMethod.Get,
                    $"api/v1/{KindNames.Segment(key.Kind)}/{Uri.EscapeDataString(key.Namespace)}/{Uri.EscapeDataString(key.Name)}", accept: "application/json", ct: ct);
                string[] stored;
                if (response.StatusCode == HttpStatusCode.NotFound)
                    stored = [];
                else if (response.StatusCode == HttpStatusCode.OK)
                    stored = Lines(MeshworkJson.Deserialize(await response.Content.ReadAsStringAsync(ct)));
                else
                {
                    foreach (var line in await MeshworkClient.DescribeProblemAsync(response, ct))
                        await environment.Error.WriteLineAsync(line);
                    return 1;
                }
                var wanted = Lines(resource);
                if (stored.SequenceEqual(wanted))
                    continue;
                differs = true;
                await environment.Output.WriteLineAsync($"--- {key} ({(stored.Length == 0 ? "not stored" : "stored")})");
                await environment.Output.WriteLineAsync($"+++ {key} (file)");
                foreach (var line in TextDiff.Unified(stored, wanted))
                    await environment.Output.WriteLineAsync(line);
            }
            if (!differs)
                await environment.Output.WriteLineAsync("No differences.");
            return differs ? 2 : 0;
        }));
        return command;
    }

    /// <summary>YAML lines without the version (the store's, not the user's), so only content differences show.</summary>
    private static string[] Lines(Resource resource) =>
        ResourceYaml.Write([resource with { Metadata = resource.Metadata with { Version = 0 } }])
            .Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && l != "---").ToArray();
}
