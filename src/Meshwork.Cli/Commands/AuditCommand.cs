using System.CommandLine;
using System.Net;
using System.Text.Json;
using Meshwork.Cli.Client;

namespace Meshwork.Cli.Commands;

public static class AuditCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var actor = new Option<string?>("--actor") { Description = "Only changes by this actor" };
        var kind = new Option<string?>("--kind") { Description = "Only this kind" };
        var name = new Option<string?>("--name") { Description = "Only resources with this name" };
        var limit = new Option<int>("--limit") { Description = "At most this many entries (newest first)", DefaultValueFactory = _ => 20 };
        var output = new Option<string>("--output", "-o") { Description = "table or json", DefaultValueFactory = _ => "table" };
        var command = new Command("audit", "Show the audit log, newest first") { actor, kind, name, limit, output };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            var query = new List<string> { "take=" + Math.Clamp(parse.GetValue(limit), 1, 1000) };
            if (parse.GetValue(actor) is { } a)
                query.Add("actor=" + Uri.EscapeDataString(a));
            if (parse.GetValue(kind) is { } k)
            {
                if (!KindNames.TryParse(k, out var parsed))
                    throw new CliException($"unknown kind '{k}'; use one of: {KindNames.Known}");
                query.Add("kind=" + parsed);
            }
            if (parse.GetValue(name) is { } n)
                query.Add("name=" + Uri.EscapeDataString(n));
            using var client = MeshctlApp.Connect(environment);
            using var response = await client.SendAsync(HttpMethod.Get, "api/v1/audit?" + string.Join('&', query), ct: ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                foreach (var line in await MeshworkClient.DescribeProblemAsync(response, ct))
                    await environment.Error.WriteLineAsync(line);
                return 1;
            }
            var text = await response.Content.ReadAsStringAsync(ct);
            if (parse.GetValue(output) == "json")
            {
                await environment.Output.WriteLineAsync(text);
                return 0;
            }
            using var document = JsonDocument.Parse(text);
            await environment.Output.WriteLineAsync($"{"SEQ",6}  {"TIME (UTC)",-19}  {"ACTOR",-24}  {"SOURCE",-8}  {"ACTION",-7}  RESOURCE  VERSION");
            foreach (var e in document.RootElement.EnumerateArray())
            {
                var at = e.GetProperty("at").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss");
                var before = e.GetProperty("versionBefore").ValueKind == JsonValueKind.Number ? e.GetProperty("versionBefore").GetInt64().ToString() : "-";
                var after = e.GetProperty("versionAfter").ValueKind == JsonValueKind.Number ? e.GetProperty("versionAfter").GetInt64().ToString() : "-";
                await environment.Output.WriteLineAsync(
                    $"{e.GetProperty("sequence").GetInt64(),6}  {at,-19}  {e.GetProperty("actor").GetString(),-24}  {e.GetProperty("source").GetString(),-8}  {e.GetProperty("action").GetString(),-7}  " +
                    $"{e.GetProperty("kind").GetString()}/{e.GetProperty("namespace").GetString()}/{e.GetProperty("name").GetString()}  {before}->{after}");
            }
            return 0;
        }));
        return command;
    }
}
