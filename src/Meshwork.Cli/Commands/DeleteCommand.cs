using System.CommandLine;
using System.Net;
using Meshwork.Cli.Client;

namespace Meshwork.Cli.Commands;

public static class DeleteCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var kind = new Argument<string>("kind") { Description = $"One of: {KindNames.Known}" };
        var name = new Argument<string>("name") { Description = "The resource name" };
        var ns = new Option<string>("--namespace", "-n") { Description = "Namespace", DefaultValueFactory = _ => "default" };
        var version = new Option<long?>("--version") { Description = "Delete only if the resource is still at this version" };
        var command = new Command("delete", "Delete a resource (audited)") { kind, name, ns, version };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            if (!KindNames.TryParse(parse.GetValue(kind)!, out var k))
                throw new CliException($"unknown kind '{parse.GetValue(kind)}'; use one of: {KindNames.Known}");
            var path = $"api/v1/{KindNames.Segment(k)}/{Uri.EscapeDataString(parse.GetValue(ns)!)}/{Uri.EscapeDataString(parse.GetValue(name)!)}";
            var ifMatch = parse.GetValue(version) is { } v ? $"\"{v}\"" : "*";
            using var client = MeshctlApp.Connect(environment);
            using var response = await client.SendAsync(HttpMethod.Delete, path, ifMatch: ifMatch, ct: ct);
            if (response.StatusCode != HttpStatusCode.NoContent)
            {
                foreach (var line in await MeshworkClient.DescribeProblemAsync(response, ct))
                    await environment.Error.WriteLineAsync(line);
                return 1;
            }
            await environment.Output.WriteLineAsync($"{k}/{parse.GetValue(ns)}/{parse.GetValue(name)} deleted");
            return 0;
        }));
        return command;
    }
}
