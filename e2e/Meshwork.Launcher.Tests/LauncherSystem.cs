using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;

namespace Meshwork.Launcher.Tests;

/// <summary>
/// The repository's launcher (./meshwork) driving a whole local system of its own: a fresh state
/// folder under TMPDIR (MESHWORK_STATE) and free ports, so it runs beside a developer's own `up`.
/// Each command runs as in CI (CI=true, no stdin) with its output in a file of the work folder.
/// Disposing runs `down`, then kills what the launcher recorded and is still alive (by recorded pid,
/// and only a process running from this state folder), then deletes the work folder.
/// </summary>
public sealed class LauncherSystem : IAsyncDisposable
{
    /// <summary>The demo shop's proxies in the launcher's order (index i has its admin port on BASE+100+10*i): the gateway, then one sidecar per app.</summary>
    public static readonly IReadOnlyList<string> Proxies =
    [
        "gateway", "sidecar-frontend-v1", "sidecar-catalog-v1", "sidecar-catalog-v2", "sidecar-pricing-v1",
        "sidecar-reviews-v1", "sidecar-reviews-v2", "sidecar-reviews-v3", "sidecar-ratings-v1",
    ];

    /// <summary>Every process `up` starts and records in STATE/run/NAME.pid (the control plane is the portal's: <see cref="ControlPlanePids"/>).</summary>
    public static readonly IReadOnlyList<string> ProcessNames =
    [
        "portal", "demo-traffic",
        .. Proxies,
        .. Proxies.Where(p => p.StartsWith("sidecar-", StringComparison.Ordinal)).Select(p => "demo-" + p["sidecar-".Length..]),
    ];

    public const string AdminEmail = "launcher-test@meshwork.local";

    private readonly string script;
    private readonly string workDirectory;
    private readonly Dictionary<string, string> environment;
    private readonly HashSet<int> seenPids = [];
    private int commands;

    private LauncherSystem(string script, string workDirectory)
    {
        this.script = script;
        this.workDirectory = workDirectory;
        StateDirectory = Path.Combine(workDirectory, "state");
        PortalPort = FreePort.Next();
        ControlPlanePort = FreePort.Next();
        ControlPlaneHttpPort = FreePort.Next();
        PostgresPort = FreePort.Next();
        DemoBasePort = FreeDemoBasePort();
        var slot = Environment.GetEnvironmentVariable("MESHWORK_BUILD_SLOT");
        environment = new Dictionary<string, string>
        {
            ["CI"] = "true",
            ["MESHWORK_STATE"] = StateDirectory,
            ["MESHWORK_PORTAL_PORT"] = Text(PortalPort),
            ["MESHWORK_CP_PORT"] = Text(ControlPlanePort),
            ["MESHWORK_CP_HTTP_PORT"] = Text(ControlPlaneHttpPort),
            ["MESHWORK_PG_PORT"] = Text(PostgresPort),
            ["MESHWORK_DEMO_BASE_PORT"] = Text(DemoBasePort),
            ["MESHWORK_ADMIN_EMAIL"] = AdminEmail,
            // The launcher publishes Release builds; a slot of their own never touches the bin/obj
            // of the build that runs this test (or of a developer's `up`, slot "run").
            ["MESHWORK_BUILD_SLOT"] = (string.IsNullOrEmpty(slot) ? "default" : slot) + "-launcher",
        };
    }

    public string StateDirectory { get; }
    public int PortalPort { get; }
    public int ControlPlanePort { get; }
    public int ControlPlaneHttpPort { get; }
    public int PostgresPort { get; }
    public int DemoBasePort { get; }

    /// <summary>The admin listener of a demo proxy (BASE+100+10*i in the launcher).</summary>
    public int ProxyAdminPort(string proxy) =>
        Proxies.Contains(proxy) ? DemoBasePort + 100 + 10 * Proxies.ToList().IndexOf(proxy)
            : throw new ArgumentOutOfRangeException(nameof(proxy), proxy, "not a demo proxy");

    /// <summary>The shop's gateway listener, where a user curls (BASE+80).</summary>
    public int GatewayPort => DemoBasePort + 80;

    /// <summary>The traffic generator's control endpoint (BASE+90).</summary>
    public int TrafficControlPort => DemoBasePort + 90;

    public string StateFile(params string[] path) => Path.Combine([StateDirectory, .. path]);

    /// <summary>A work folder under TMPDIR whose state folder the launcher creates, owner-only like
    /// .meshwork in a checkout (as root its cluster then lives in /var/lib/meshwork/&lt;hash&gt;).</summary>
    public static LauncherSystem Create()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "meshwork")))
            root = root.Parent;
        if (root is null)
            throw new InvalidOperationException("the meshwork launcher was not found above " + AppContext.BaseDirectory);
        var work = Path.Combine(Path.GetTempPath(), "meshwork-launcher-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        return new LauncherSystem(Path.Combine(root.FullName, "meshwork"), work);
    }

    /// <summary>Runs `./meshwork COMMAND`; a command still running after <paramref name="timeout"/> is killed.</summary>
    public async Task<LauncherResult> RunAsync(string command, TimeSpan timeout)
    {
        var log = Path.Combine(workDirectory, $"{++commands:00}-{command}.log");
        // Output to a file, not a pipe: the processes `up` leaves running must never hold a pipe of ours.
        var info = new ProcessStartInfo("bash") { UseShellExecute = false };
        foreach (var argument in new[] { "-c", "log=\"$1\"; shift; exec \"$@\" </dev/null >\"$log\" 2>&1", "meshwork-launcher-test", log, script, command })
            info.ArgumentList.Add(argument);
        foreach (var name in new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "ASPNETCORE_URLS", "ASPNETCORE_ENVIRONMENT", "MESHWORK_DEMO", "MESHWORK_DEMO_RPS" })
            info.Environment.Remove(name);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start bash");
        using var deadline = new CancellationTokenSource(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        var output = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
        return new LauncherResult(command, timedOut ? null : process.ExitCode, output, log);
    }

    /// <summary>NAME -> pid from STATE/run/*.pid, as `up` recorded them.</summary>
    public IReadOnlyDictionary<string, int> RecordedPids()
    {
        var run = StateFile("run");
        if (!Directory.Exists(run))
            return new Dictionary<string, int>();
        var pids = Directory.GetFiles(run, "*.pid").ToDictionary(
            file => Path.GetFileNameWithoutExtension(file),
            file => int.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture));
        seenPids.UnionWith(pids.Values);
        return pids;
    }

    /// <summary>
    /// NAME -> pid of the control plane replicas the portal runs, from its records
    /// (STATE/portal-fleet/control-planes/NAME/NAME.pid, JSON with the pid); only the live ones.
    /// </summary>
    public IReadOnlyDictionary<string, int> ControlPlanePids()
    {
        var folder = StateFile("portal-fleet", "control-planes");
        if (!Directory.Exists(folder))
            return new Dictionary<string, int>();
        var pids = new Dictionary<string, int>();
        foreach (var replica in Directory.GetDirectories(folder))
        {
            var name = Path.GetFileName(replica);
            var record = Path.Combine(replica, name + ".pid");
            if (!File.Exists(record)) continue;
            using var json = JsonDocument.Parse(File.ReadAllText(record));
            var pid = json.RootElement.GetProperty("Pid").GetInt32();
            if (IsAlive(pid)) pids[name] = pid;
        }
        seenPids.UnionWith(pids.Values);
        return pids;
    }

    /// <summary>The cluster's data folder: STATE/pg, or where it links to when the service user could not enter the state folder.</summary>
    public string PostgresDataDirectory
    {
        get
        {
            var link = new DirectoryInfo(StateFile("pg"));
            return link.LinkTarget is null ? link.FullName : link.ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        }
    }

    /// <summary>Alive and not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    public static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        RecordedPids();
        await RunAsync("down", TimeSpan.FromMinutes(3));
        // Leftovers (down failed or timed out): only processes still running from this state folder.
        foreach (var pid in seenPids.Where(pid => IsAlive(pid) && RunsFromStateFolder(pid)))
            Signal(pid, SigKill);
        var postmaster = Path.Combine(PostgresDataDirectory, "postmaster.pid");
        if (File.Exists(postmaster) && int.TryParse(File.ReadLines(postmaster).First(), out var postgres) && IsAlive(postgres))
        {
            Signal(postgres, SigQuit);   // PostgreSQL's immediate shutdown: the server stops its own children
            await Eventually.HoldsAsync(() => Task.FromResult(!IsAlive(postgres)), "leftover PostgreSQL stopped", TimeSpan.FromSeconds(30));
        }
        var data = PostgresDataDirectory;
        Directory.Delete(workDirectory, recursive: true);
        if (!data.StartsWith(StateDirectory, StringComparison.Ordinal))
            Directory.Delete(Path.GetDirectoryName(data)!, recursive: true);   // /var/lib/meshwork/<hash of this state folder>
    }

    private bool RunsFromStateFolder(int pid)
    {
        var cwd = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
        return cwd is not null && cwd.StartsWith(StateDirectory + "/", StringComparison.Ordinal);
    }

    private const int SigKill = 9;
    private const int SigQuit = 3;

    private static void Signal(int pid, int signal) => _ = Kill(pid, signal);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>A base whose demo ports (BASE+80 to BASE+186, see the launcher) are all free, below the ephemeral range, and reserved for this test.</summary>
    private static int FreeDemoBasePort()
    {
        int[] offsets = [.. Enumerable.Range(80, 11), .. Enumerable.Range(0, Proxies.Count).SelectMany(i => new[] { 100 + 10 * i, 101 + 10 * i, 106 + 10 * i })];
        while (true)
        {
            var candidate = Random.Shared.Next(20_000, 32_000 - 190);
            if (FreePort.TryReserveAll([.. offsets.Select(offset => candidate + offset)]))
                return candidate;
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A launcher command's outcome: exit code (null when it timed out) and everything it printed.</summary>
public sealed record LauncherResult(string Command, int? ExitCode, string Output, string LogPath)
{
    public override string ToString() =>
        $"./meshwork {Command} {(ExitCode is { } code ? "exited " + code : "timed out")} (log {LogPath}):\n{Output}";
}
