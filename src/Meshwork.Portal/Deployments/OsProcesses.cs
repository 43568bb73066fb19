using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// The Linux process calls the local driver needs: start a command detached from the portal (its own
/// session, output appended to a log file, so it outlives a portal crash and can be re-adopted), tell
/// whether a pid is still the process that was started (pid reuse: start time and command line), and signal it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class OsProcesses
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    /// <summary>
    /// Starts <paramref name="command"/> in a new session (setsid) with stdin from /dev/null and
    /// stdout/stderr appended to <paramref name="logFile"/>. The returned Process is the command itself
    /// (sh execs it); keep it until the process is gone so the runtime reaps it.
    /// </summary>
    public static Process Start(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, string logFile, string workingDirectory)
    {
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = workingDirectory };
        // "$@" keeps every argument as given: nothing here is parsed by a shell.
        foreach (var arg in (string[])["/bin/sh", "-c", "exec \"$@\" </dev/null >>\"$MESHWORK_FLEET_LOG\" 2>&1", "sh", .. command])
            info.ArgumentList.Add(arg);
        // The child gets none of the portal's own settings (connection string, admin password, seal key):
        // only what a .NET app needs to run, and what the caller gives it.
        var inherited = info.Environment.Where(e => IsInherited(e.Key)).ToList();
        info.Environment.Clear();
        foreach (var (key, value) in inherited)
            info.Environment[key] = value;
        info.Environment["MESHWORK_FLEET_LOG"] = logFile;
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}");
    }

    private static bool IsInherited(string name) =>
        name is "PATH" or "HOME" or "TMPDIR" or "LANG" or "TZ" or "USER"
        || name.StartsWith("LC_", StringComparison.Ordinal)
        || name.StartsWith("DOTNET_", StringComparison.Ordinal)
        || name.StartsWith("OTEL_", StringComparison.Ordinal);

    /// <summary>The kernel's start time of <paramref name="pid"/> (clock ticks since boot); null when it is gone or a zombie.</summary>
    public static long? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid ... starttime(22nd field)": comm may hold spaces and parentheses, so split after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0] is "Z" or "X") return null;
        return long.Parse(fields[19], CultureInfo.InvariantCulture);
    }

    /// <summary>The arguments <paramref name="pid"/> runs with; empty when it is gone.</summary>
    public static IReadOnlyList<string> CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>True when <paramref name="pid"/> is alive, started at <paramref name="startTime"/> and runs with the pair <paramref name="marker"/>.</summary>
    public static bool IsSame(int pid, long startTime, (string Name, string Value) marker)
    {
        if (StartTime(pid) != startTime) return false;
        var args = CommandLine(pid);
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == marker.Name && args[i + 1] == marker.Value) return true;
        }
        return false;
    }

    public static void Terminate(int pid) => _ = Kill(pid, SigTerm);

    public static void ForceKill(int pid) => _ = Kill(pid, SigKill);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
