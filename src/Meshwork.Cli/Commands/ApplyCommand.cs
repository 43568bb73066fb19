using System.CommandLine;
using System.Net;
using System.Text.Json;
using Meshwork.Cli.Client;

namespace Meshwork.Cli.Commands;

/// <summary>
/// apply -f: every document is read and checked locally first; then the whole batch goes to
/// /api/v1/apply, which validates it against the stored state and writes all of it or nothing.
/// </summary>
public static class ApplyCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "YAML file(s) with one or more resources; - for stdin", Required = true, AllowMultipleArgumentsPerToken = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate against the stored state; write nothing" };
        var command = new Command("apply", "Create or replace the resources in YAML files, atomically") { files, dryRun };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            var (yaml, read) = await ResourceFiles.ReadAsync(parse.GetValue(files)!, ct);
            if (read.Issues.Count > 0)
            {
                await environment.Error.WriteLineAsync($"error: the file(s) could not be read; nothing was sent ({read.Issues.Count} issue(s)):");
                foreach (var issue in read.Issues)
                    await environment.Error.WriteLineAsync($"  {issue}");
                return 1;
            }
            if (read.Resources.Count == 0)
                throw new CliException("no resources in the file(s)");

            using var client = MeshctlApp.Connect(environment);
            var path = parse.GetValue(dryRun) ? "api/v1/validate" : "api/v1/apply";
            using var response = await client.SendAsync(HttpMethod.Post, path, yaml, MeshworkClient.YamlMediaType, ct: ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                foreach (var line in await MeshworkClient.DescribeProblemAsync(response, ct))
                    await environment.Error.WriteLineAsync(line);
                await environment.Error.WriteLineAsync("Nothing was written.");
                return 1;
            }
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            return parse.GetValue(dryRun) ? await ReportValidationAsync(environment, document.RootElement, read.Resources.Count)
                : await ReportAppliedAsync(environment, document.RootElement);
        }));
        return command;
    }

    private static async Task<int> ReportAppliedAsync(CliEnvironment environment, JsonElement root)
    {
        foreach (var applied in root.GetProperty("applied").EnumerateArray())
        {
            await environment.Output.WriteLineAsync(
                $"{applied.GetProperty("kind").GetString()}/{applied.GetProperty("namespace").GetString()}/{applied.GetProperty("name").GetString()} applied (version {applied.GetProperty("version").GetInt64()})");
        }
        await WriteIssuesAsync(environment.Error, root.GetProperty("warnings"));
        return 0;
    }

    private static async Task<int> ReportValidationAsync(CliEnvironment environment, JsonElement root, int count)
    {
        var valid = root.GetProperty("valid").GetBoolean();
        await WriteIssuesAsync(valid ? environment.Output : environment.Error, root.GetProperty("issues"));
        await (valid ? environment.Output : environment.Error).WriteLineAsync(valid
            ? $"{count} resource(s) valid (dry run: nothing written)."
            : "Invalid (dry run: nothing written).");
        return valid ? 0 : 1;
    }

    private static async Task WriteIssuesAsync(TextWriter writer, JsonElement issues)
    {
        foreach (var issue in issues.EnumerateArray())
            await writer.WriteLineAsync($"  {issue.GetProperty("severity").GetString()}: {issue.GetProperty("path").GetString()}: {issue.GetProperty("message").GetString()}");
    }
}
