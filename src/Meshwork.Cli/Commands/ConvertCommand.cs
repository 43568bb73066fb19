using System.CommandLine;
using Meshwork.Model.Interop;
using Meshwork.Model.Serialization;

namespace Meshwork.Cli.Commands;

/// <summary>
/// convert -f: translates Istio, Gateway API, SMI, Flagger and Argo Rollouts manifests into
/// Meshwork YAML offline (no portal), so a migration can be checked before it is applied. Our YAML
/// goes to stdout, every warning, note and error to stderr; the exit code is 1 only when nothing
/// could be translated.
/// </summary>
public static class ConvertCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "YAML file(s) with upstream manifests; - for stdin", Required = true, AllowMultipleArgumentsPerToken = true };
        var command = new Command("convert", "Translate Istio / Gateway API / SMI / Flagger / Argo Rollouts manifests into Meshwork YAML (offline)") { files };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            var yaml = await ResourceFiles.ReadTextAsync(parse.GetValue(files)!, ct);
            var result = ManifestImporter.Import(yaml);
            foreach (var message in result.Messages)
                await environment.Error.WriteLineAsync(message.ToString());
            if (result.Resources.Count == 0)
            {
                await environment.Error.WriteLineAsync("error: nothing could be translated");
                return 1;
            }
            await environment.Output.WriteAsync(ResourceYaml.Write(result.Resources));
            var errors = result.Errors.Count();
            await environment.Error.WriteLineAsync(
                $"{result.Resources.Count} resource(s) translated; {result.Warnings.Count()} warning(s), {errors} error(s){(errors > 0 ? " (the documents with errors are not in the output)" : "")}");
            return 0;
        }));
        return command;
    }
}
