using System.CommandLine;
using Meshwork.Cli.Client;
using Meshwork.Cli.Commands;

namespace Meshwork.Cli;

/// <summary>
/// meshctl: the portal's REST API for pipelines and GitOps. Exit codes: 0 success, 1 failure
/// (invalid input, refused, conflict), 2 differences found (diff only, as `kubectl diff`),
/// 3 timed out (rollout wait only).
/// </summary>
public static class MeshctlApp
{
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken ct = default)
    {
        var root = new RootCommand("meshctl: manage a Meshwork service mesh from the command line");
        root.Subcommands.Add(LoginCommand.Create(environment));
        root.Subcommands.Add(ApplyCommand.Create(environment));
        root.Subcommands.Add(GetCommand.Create(environment));
        root.Subcommands.Add(DeleteCommand.Create(environment));
        root.Subcommands.Add(DiffCommand.Create(environment));
        root.Subcommands.Add(AuditCommand.Create(environment));
        root.Subcommands.Add(TokenCommand.Create(environment));
        root.Subcommands.Add(ConvertCommand.Create(environment));
        root.Subcommands.Add(ImportCommand.Create(environment));
        root.Subcommands.Add(ExportCommand.Create(environment));
        root.Subcommands.Add(RolloutControlCommand.Create(environment));
        var configuration = new InvocationConfiguration { Output = environment.Output, Error = environment.Error };
        return await root.Parse(args).InvokeAsync(configuration, ct);
    }

    /// <summary>Runs a command body, turning expected failures into a message and exit code 1.</summary>
    internal static async Task<int> GuardAsync(CliEnvironment environment, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CliException e)
        {
            await environment.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
        catch (HttpRequestException e)
        {
            await environment.Error.WriteLineAsync("error: cannot reach the portal: " + e.Message);
            return 1;
        }
    }

    internal static MeshworkClient Connect(CliEnvironment environment)
    {
        var (client, error) = MeshworkClient.FromSaved(environment);
        return client ?? throw new CliException(error!);
    }
}
