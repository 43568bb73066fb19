using System.CommandLine;
using System.Net;
using System.Text.Json;
using Meshwork.Cli.Client;

namespace Meshwork.Cli.Commands;

/// <summary>
/// meshctl token issue|list|revoke: the bootstrap tokens proxies join with (admin API clients).
/// `issue` prints the secret and the proxy's join command once; wildcard scopes need --wildcard.
/// </summary>
public static class TokenCommand
{
    private const string Path = "api/v1/bootstrap-tokens";

    public static Command Create(CliEnvironment environment)
    {
        var command = new Command("token", "Issue, list and revoke bootstrap tokens (admins)");
        command.Subcommands.Add(Issue(environment));
        command.Subcommands.Add(List(environment));
        command.Subcommands.Add(Revoke(environment));
        return command;
    }

    private static Command Issue(CliEnvironment environment)
    {
        var service = new Option<string>("--service", "-s") { Description = "The service proxies with this token join as ('*' only with --wildcard)", Required = true };
        var ns = new Option<string>("--namespace", "-n") { Description = "Their namespace ('*' only with --wildcard)", DefaultValueFactory = _ => "default" };
        var name = new Option<string?>("--name") { Description = "A name for the token (default: join-NAMESPACE-SERVICE)" };
        var validFor = new Option<TimeSpan?>("--valid-for") { Description = "How long it admits joins, e.g. 00:30:00 (default and maximum: the portal's BootstrapTokens settings)" };
        var wildcard = new Option<bool>("--wildcard") { Description = "Allow '*' in --service or --namespace: the token then admits any (shown as WILDCARD)" };
        var command = new Command("issue", "Issue a token scoped to one namespace and service; prints its secret and join command once")
            { service, ns, name, validFor, wildcard };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            var body = JsonSerializer.Serialize(new
            {
                name = parse.GetValue(name) ?? $"join-{parse.GetValue(ns)}-{parse.GetValue(service)}".Replace("*", "any"),
                @namespace = parse.GetValue(ns),
                service = parse.GetValue(service),
                validFor = parse.GetValue(validFor),
                wildcard = parse.GetValue(wildcard),
            });
            using var client = MeshctlApp.Connect(environment);
            using var response = await client.SendAsync(HttpMethod.Post, Path, body, ct: ct);
            if (response.StatusCode != HttpStatusCode.Created) return await FailAsync(environment, response, ct);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var root = document.RootElement;
            var scope = $"{root.GetProperty("namespace").GetString()}/{root.GetProperty("service").GetString()}";
            await environment.Output.WriteLineAsync(
                $"token {root.GetProperty("name").GetString()} ({root.GetProperty("id").GetString()}) for {scope}" +
                (root.GetProperty("wildcard").GetBoolean() ? " WILDCARD" : "") +
                $", valid until {root.GetProperty("expiresAt").GetDateTimeOffset().UtcDateTime:yyyy-MM-dd HH:mm} UTC");
            await environment.Output.WriteLineAsync($"secret (shown once): {root.GetProperty("secret").GetString()}");
            await environment.Output.WriteLineAsync("join command:");
            await environment.Output.WriteLineAsync(root.GetProperty("joinCommand").GetString());
            return 0;
        }));
        return command;
    }

    private static Command List(CliEnvironment environment)
    {
        var command = new Command("list", "List bootstrap tokens (never their secrets), newest first");
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            using var client = MeshctlApp.Connect(environment);
            using var response = await client.SendAsync(HttpMethod.Get, Path, ct: ct);
            if (response.StatusCode != HttpStatusCode.OK) return await FailAsync(environment, response, ct);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            await environment.Output.WriteLineAsync($"{"ID",-36}  {"NAME",-28}  {"SCOPE",-30}  {"STATE",-8}  EXPIRES (UTC)");
            foreach (var t in document.RootElement.EnumerateArray())
            {
                var scope = $"{t.GetProperty("namespace").GetString()}/{t.GetProperty("service").GetString()}" +
                    (t.GetProperty("wildcard").GetBoolean() ? " WILDCARD" : "");
                await environment.Output.WriteLineAsync(
                    $"{t.GetProperty("id").GetString(),-36}  {t.GetProperty("name").GetString(),-28}  {scope,-30}  {t.GetProperty("state").GetString(),-8}  " +
                    $"{t.GetProperty("expiresAt").GetDateTimeOffset().UtcDateTime:yyyy-MM-dd HH:mm}");
            }
            return 0;
        }));
        return command;
    }

    private static Command Revoke(CliEnvironment environment)
    {
        var id = new Argument<Guid>("id") { Description = "The token's id (meshctl token list)" };
        var command = new Command("revoke", "Revoke a token: new joins are refused and proxies that joined with it are evicted") { id };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            using var client = MeshctlApp.Connect(environment);
            using var response = await client.SendAsync(HttpMethod.Delete, $"{Path}/{parse.GetValue(id)}", ct: ct);
            if (response.StatusCode != HttpStatusCode.NoContent) return await FailAsync(environment, response, ct);
            await environment.Output.WriteLineAsync($"token {parse.GetValue(id)} revoked");
            return 0;
        }));
        return command;
    }

    private static async Task<int> FailAsync(CliEnvironment environment, HttpResponseMessage response, CancellationToken ct)
    {
        foreach (var line in await MeshworkClient.DescribeProblemAsync(response, ct))
            await environment.Error.WriteLineAsync(line);
        return 1;
    }
}
