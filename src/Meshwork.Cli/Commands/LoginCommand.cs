using System.CommandLine;
using Meshwork.Cli.Client;

namespace Meshwork.Cli.Commands;

public static class LoginCommand
{
    public static Command Create(CliEnvironment environment)
    {
        var server = new Option<string>("--server") { Description = "Portal URL, e.g. http://127.0.0.1:5000", Required = true };
        var clientId = new Option<string>("--client-id") { Description = "API client id (Users page, API clients)", Required = true };
        var clientSecret = new Option<string?>("--client-secret") { Description = "API client secret; default: $MESHWORK_CLIENT_SECRET" };
        var command = new Command("login", "Sign in with client credentials and cache the token") { server, clientId, clientSecret };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            var secret = parse.GetValue(clientSecret) ?? Environment.GetEnvironmentVariable("MESHWORK_CLIENT_SECRET");
            if (string.IsNullOrEmpty(secret))
                throw new CliException("Pass --client-secret or set MESHWORK_CLIENT_SECRET.");
            var (credentials, error) = await MeshworkClient.LoginAsync(parse.GetValue(server)!, parse.GetValue(clientId)!, secret, environment, ct);
            if (credentials is null)
                throw new CliException(error!);
            credentials.Save(environment.ConfigDirectory);
            await environment.Output.WriteLineAsync($"Logged in to {credentials.Server} as {credentials.ClientId}.");
            return 0;
        }));
        return command;
    }
}
