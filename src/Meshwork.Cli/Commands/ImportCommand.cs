using System.CommandLine;
using System.Net;
using System.Text.Json;
using Meshwork.Cli.Client;

namespace Meshwork.Cli.Commands;

/// <summary>
/// import -f: upstream manifests (Istio, Gateway API, SMI, Flagger, Argo Rollouts) sent to
/// POST /api/v1/import, which translates them against the stored state. Prints what each resource
/// would become (create / update with its diff / unchanged) and every warning and note, then applies
/// all of it or nothing; --dry-run stops after the preview. Offline translation is `convert`.
/// </summary>
public static class ImportCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "Upstream YAML file(s); - for stdin", Required = true, AllowMultipleArgumentsPerToken = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the diff against what is stored; write nothing" };
        var command = new Command("import", "Translate Istio, Gateway API, SMI, Flagger or Argo Rollouts YAML and apply it atomically") { files, dryRun };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            var yaml = await ResourceFiles.ReadTextAsync(parse.GetValue(files)!, ct);
            using var client = MeshctlApp.Connect(environment);
            var preview = parse.GetValue(dryRun);
            // The audit log names what was imported: the file names as given ("-" is stdin).
            var source = Uri.EscapeDataString(string.Join(", ", parse.GetValue(files)!.Select(f => f == "-" ? "stdin" : f)));
            using var response = await client.SendAsync(HttpMethod.Post, $"api/v1/import?source={source}{(preview ? "&dryRun=true" : "")}", yaml,
                MeshworkClient.YamlMediaType, ct: ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                foreach (var line in await MeshworkClient.DescribeProblemAsync(response, ct))
                    await environment.Error.WriteLineAsync(line);
                await environment.Error.WriteLineAsync("Nothing was written.");
                return 1;
            }
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var root = document.RootElement;
            var failed = false;
            foreach (var message in root.GetProperty("messages").EnumerateArray())
            {
                var severity = message.GetProperty("severity").GetString();
                failed |= severity == "error";
                await environment.Error.WriteLineAsync($"{severity}: {message.GetProperty("path").GetString()}: {message.GetProperty("text").GetString()}");
            }
            foreach (var change in root.GetProperty("changes").EnumerateArray())
            {
                var action = change.GetProperty("action").GetString();
                await environment.Output.WriteLineAsync(
                    $"{change.GetProperty("kind").GetString()}/{change.GetProperty("namespace").GetString()}/{change.GetProperty("name").GetString()}: {action}");
                foreach (var row in change.GetProperty("diff").EnumerateArray())
                    await WriteDiffRowAsync(environment.Output, row);
            }
            var applied = root.GetProperty("applied").GetBoolean();
            await environment.Output.WriteLineAsync(applied ? "Applied (one audited change per resource)."
                : failed ? "Errors above: nothing would be written."
                : preview ? "Dry run: nothing written." : "Nothing to change.");
            return failed ? 1 : 0;
        }));
        return command;
    }

    private static async Task WriteDiffRowAsync(TextWriter output, JsonElement row)
    {
        if (row.GetProperty("before").GetString() is { } before)
            await output.WriteLineAsync("  - " + before);
        if (row.GetProperty("after").GetString() is { } after)
            await output.WriteLineAsync("  + " + after);
    }
}
