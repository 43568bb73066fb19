using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Meshwork.Cli.Client;
using Meshwork.Model.Rollouts;
using Meshwork.Model.Serialization;

namespace Meshwork.Cli.Commands;

/// <summary>
/// meshctl rollout status|promote|pause|resume|abort|retry|promote-full|wait NAME: the rollout API
/// (/api/v1/rollouts/{namespace}/{name}/...). `wait` is for CI: exit 0 once promoted, 1 when rolled
/// back or aborted (or on an error), 3 when the timeout passes first.
/// </summary>
public static class RolloutControlCommand
{
    public const int TimedOut = 3;

    private static readonly (string Name, string Description)[] Commands =
    [
        ("promote", "Go to the next step now (approves a pause; after the last step, all traffic to the canary)"),
        ("pause", "Hold the rollout at its current weight (analysis keeps running)"),
        ("resume", "Continue a paused rollout"),
        ("abort", "Send all traffic back to stable and stop"),
        ("retry", "Start a rolled back or aborted rollout again from its first step"),
        ("promote-full", "Skip analysis and the remaining steps: all traffic to the canary (Admin)"),
    ];

    public static Command Create(CliEnvironment environment)
    {
        var rollout = new Command("rollout", "Show and control progressive rollouts");
        rollout.Subcommands.Add(Status(environment));
        foreach (var (name, description) in Commands)
            rollout.Subcommands.Add(Control(environment, name, description));
        rollout.Subcommands.Add(Wait(environment));
        return rollout;
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "The rollout's name" };

    private static Option<string> NamespaceOption() =>
        new("--namespace", "-n") { Description = "The rollout's namespace", DefaultValueFactory = _ => "default" };

    private static Command Status(CliEnvironment environment)
    {
        var name = NameArgument();
        var ns = NamespaceOption();
        var output = new Option<string>("--output", "-o") { Description = "text or json", DefaultValueFactory = _ => "text" };
        var command = new Command("status", "Phase, step, weight, the last analysis and the latest decisions") { name, ns, output };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            using var client = MeshctlApp.Connect(environment);
            var (status, text) = await GetAsync(client, parse.GetValue(ns)!, parse.GetValue(name)!, ct);
            if (parse.GetValue(output) == "json")
                await environment.Output.WriteLineAsync(text);
            else
                await WriteAsync(environment.Output, status, decisions: 5);
            return 0;
        }));
        return command;
    }

    private static Command Control(CliEnvironment environment, string verb, string description)
    {
        var name = NameArgument();
        var ns = NamespaceOption();
        var command = new Command(verb, description) { name, ns };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            using var client = MeshctlApp.Connect(environment);
            var path = $"api/v1/rollouts/{Uri.EscapeDataString(parse.GetValue(ns)!)}/{Uri.EscapeDataString(parse.GetValue(name)!)}/{verb}";
            using var response = await client.SendAsync(HttpMethod.Post, path, body: "{}", ct: ct);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                foreach (var line in await MeshworkClient.DescribeProblemAsync(response, ct))
                    await environment.Error.WriteLineAsync(line);
                return 1;
            }
            var status = Parse(await response.Content.ReadAsStringAsync(ct));
            await environment.Output.WriteLineAsync(
                $"{verb} queued for rollout {status.Namespace}/{status.Name} ({status.Phase}, step {RolloutStatuses.StepText(status)}, canary {status.Weight}%); the rollout controller carries it out on its next tick");
            return 0;
        }));
        return command;
    }

    private static Command Wait(CliEnvironment environment)
    {
        var name = NameArgument();
        var ns = NamespaceOption();
        var timeout = new Option<string>("--timeout") { Description = "Give up after this long (e.g. 90s, 5m, 1h)", DefaultValueFactory = _ => "10m" };
        var interval = new Option<string>("--interval") { Description = "How often to ask", DefaultValueFactory = _ => "2s" };
        var command = new Command("wait", "Wait until the rollout is promoted (exit 0), rolled back or aborted (exit 1), or the timeout passes (exit 3)")
            { name, ns, timeout, interval };
        command.SetAction((parse, ct) => MeshctlApp.GuardAsync(environment, async () =>
        {
            var limit = ParseDuration("--timeout", parse.GetValue(timeout)!);
            var every = ParseDuration("--interval", parse.GetValue(interval)!);
            using var client = MeshctlApp.Connect(environment);
            var deadline = DateTimeOffset.UtcNow + limit;
            var reported = "";
            while (true)
            {
                var (status, _) = await GetAsync(client, parse.GetValue(ns)!, parse.GetValue(name)!, ct);
                var line = $"{status.Phase}, step {RolloutStatuses.StepText(status)}, canary {status.Weight}%";
                if (line != reported)
                {
                    await environment.Output.WriteLineAsync($"{DateTimeOffset.UtcNow:HH:mm:ss} {line}");
                    reported = line;
                }
                switch (status.Phase)
                {
                    case RolloutPhase.Promoted:
                        return 0;
                    case RolloutPhase.RolledBack or RolloutPhase.Aborted:
                        await WriteAsync(environment.Error, status, decisions: 3);
                        return 1;
                }
                if (DateTimeOffset.UtcNow >= deadline)
                {
                    await environment.Error.WriteLineAsync($"timed out after {Durations.Format(limit)}: rollout {status.Namespace}/{status.Name} is still {line}");
                    return TimedOut;
                }
                await Task.Delay(every < deadline - DateTimeOffset.UtcNow ? every : deadline - DateTimeOffset.UtcNow, ct);
            }
        }));
        return command;
    }

    private static async Task<(RolloutStatus Status, string Json)> GetAsync(MeshworkClient client, string ns, string name, CancellationToken ct)
    {
        using var response = await client.SendAsync(HttpMethod.Get, $"api/v1/rollouts/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(name)}/status", ct: ct);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new CliException(string.Join(Environment.NewLine, await MeshworkClient.DescribeProblemAsync(response, ct)));
        var text = await response.Content.ReadAsStringAsync(ct);
        return (Parse(text), text);
    }

    private static RolloutStatus Parse(string json) =>
        JsonSerializer.Deserialize<RolloutStatus>(json, MeshworkJson.Options) ?? throw new CliException("the portal answered an empty rollout status");

    private static TimeSpan ParseDuration(string option, string text) =>
        Durations.TryParse(text, out var value) && value > TimeSpan.Zero
            ? value
            : throw new CliException($"{option}: '{text}' is not a positive duration such as 90s, 5m or 1h");

    private static async Task WriteAsync(TextWriter writer, RolloutStatus status, int decisions)
    {
        await writer.WriteLineAsync($"rollout {status.Namespace}/{status.Name}: {status.Phase}, step {RolloutStatuses.StepText(status)}, canary {status.Weight}%" +
                                    (status.ConsecutiveFailures > 0 ? $", {status.ConsecutiveFailures} failed analyses in a row" : ""));
        if (status.Message is { } message)
            await writer.WriteLineAsync($"  note: {message}");
        if (status.Pending is { } pending)
            await writer.WriteLineAsync($"  queued: {pending.Command} by {pending.Actor}");
        if (status.LastAnalysis is { } a)
        {
            await writer.WriteLineAsync($"  last analysis {a.At.UtcDateTime:HH:mm:ss} ({Durations.Format(a.Interval)} at {a.CanaryWeight}%): {a.Reason}");
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"    canary {a.CanaryRequests} requests, success {a.CanarySuccessRatePercent}%, p99 {a.CanaryP99Ms} ms; stable {a.StableRequests} requests, success {a.StableSuccessRatePercent}%, p99 {a.StableP99Ms} ms"));
        }
        foreach (var d in status.History.TakeLast(decisions))
            await writer.WriteLineAsync($"  {d.At.UtcDateTime:HH:mm:ss} {d.Action,-18} {d.Actor}: {d.Message}");
    }
}
