using System.CommandLine;
using System.Net;
using Meshwork.Cli.Client;

namespace Meshwork.Cli.Commands;

public static class GetCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var kind = new Argument<string>("kind") { Description = $"One of: {KindNames.Known}" };
        var name = new Argument<string?>("name") { Description = "A resource name; omit to list", Arity = ArgumentArity.ZeroOrOne };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Namespace (default: all when listing, \"default\" for one)" };
        var output = new Option<string>("--output", "-o") { Description = "yaml or json", DefaultValueFactory = _ => "yaml" };
        var command = new Command("get", "Show stored resources") { kind, name, ns, output };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            if (!KindNames.TryParse(parse.GetValue(kind)!, out var k))
                throw new CliException($"unknown kind '{parse.GetValue(kind)}'; use one of: {KindNames.Known}");
            var accept = parse.GetValue(output) == "json" ? "application/json" : MeshworkClient.YamlMediaType;
            var resourceName = parse.GetValue(name);
            var path = resourceName is null
                ? $"api/v1/{KindNames.Segment(k)}" + (parse.GetValue(ns) is { } n ? "?namespace=" + Uri.EscapeDataString(n) : "")
                : $"api/v1/{KindNames.Segment(k)}/{Uri.EscapeDataString(parse.GetValue(ns) ?? "default")}/{Uri.EscapeDataString(resourceName)}";
            using var client = MeshctlApp.Connect(environment);
            using var response = await client.SendAsync(HttpMethod.Get, path, accept: accept, ct: ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                foreach (var line in await MeshworkClient.DescribeProblemAsync(response, ct))
                    await environment.Error.WriteLineAsync(line);
                return 1;
            }
            await environment.Output.WriteAsync(await response.Content.ReadAsStringAsync(ct));
            await environment.Output.WriteLineAsync();
            return 0;
        }));
        return command;
    }
}
