using System.Diagnostics;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>A command of the host's (ip, curl, ip netns exec ...) run to its end, with its output; never through a shell.</summary>
public static class HostCommand
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(params IReadOnlyList<string> command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in command.Skip(1)) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return new Result(process.ExitCode, await output, await error);
    }
}
