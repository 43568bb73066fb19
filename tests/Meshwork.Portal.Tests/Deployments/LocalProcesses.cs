using Meshwork.Portal.Deployments;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>What a driver test checks on the machine itself: is a pid alive, and which processes run with an argument pair.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class LocalProcesses
{
    public static bool Alive(int pid) => OsProcesses.StartTime(pid) is not null;

    /// <summary>Every live process whose command line holds the pair (name, value).</summary>
    public static List<int> With(string name, string value) =>
        [.. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => int.TryParse(d, out _)).Select(int.Parse!)
            .Where(pid => OsProcesses.StartTime(pid) is not null && OsProcesses.CommandLine(pid) is var args
                && args.Zip(args.Skip(1)).Any(p => p.First == name && p.Second == value))];
}
