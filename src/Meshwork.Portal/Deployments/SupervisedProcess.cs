using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// How to run one process of an instance (its app or its sidecar). <paramref name="HealthNamespace"/>: the network
/// namespace the health probe is sent from (<see cref="NetworkNamespaceProbe"/>); null for the portal's own.
/// </summary>
public sealed record ProcessLaunch(
    string Name,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    (string Name, string Value) Marker,
    string HealthUrl,
    string? HealthNamespace = null);

/// <summary>
/// One supervised OS process: started (or re-adopted from its pid file), watched by
/// <see cref="CheckAsync"/> from the driver's loop, restarted after a crash with exponential backoff,
/// and stopped with SIGTERM then SIGKILL. Not thread-safe: the driver calls it under its lock.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SupervisedProcess(ProcessLaunch launch, string folder, FleetOptions options, TimeProvider time)
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly List<DateTimeOffset> crashes = [];
    private Process? child;
    private long startTime;
    private DateTimeOffset? restartAt;

    public string Name => launch.Name;
    public ProcessLog Log { get; } = new(Path.Combine(folder, launch.Name + ".log"), options.MaxLogBytes);
    public int? Pid { get; private set; }
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>Answered its health check since it was last started.</summary>
    public bool Ready { get; private set; }

    /// <summary>Restarts after crashes (not the ones an operator asked for).</summary>
    public int Restarts { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>Its crashes within Portal:Fleet:CrashLoopWindow reached Portal:Fleet:CrashLoopThreshold.</summary>
    public bool CrashLooping => RecentCrashes() >= options.CrashLoopThreshold;

    private string PidFile => Path.Combine(folder, launch.Name + ".pid");

    /// <summary>
    /// Takes over the process a previous portal started, when its pid file names a process that is
    /// still the one it started (same kernel start time, same marker argument); false otherwise.
    /// </summary>
    public bool TryAdopt()
    {
        if (!File.Exists(PidFile)) return false;
        try
        {
            var saved = JsonSerializer.Deserialize<PidRecord>(File.ReadAllText(PidFile));
            if (saved is null || !OsProcesses.IsSame(saved.Pid, saved.StartTime, launch.Marker)) return false;
            Pid = saved.Pid;
            startTime = saved.StartTime;
            StartedAt = saved.StartedAt;
            Ready = false;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public void Start()
    {
        Log.Trim();
        AppendMarker($"starting: {string.Join(' ', launch.Command)}");
        child = OsProcesses.Start(launch.Command, launch.Environment, Log.Path, launch.WorkingDirectory);
        Pid = child.Id;
        startTime = OsProcesses.StartTime(child.Id) ?? 0;
        StartedAt = time.GetUtcNow();
        Ready = false;
        restartAt = null;
        File.WriteAllText(PidFile, JsonSerializer.Serialize(new PidRecord(child.Id, startTime, StartedAt.Value)));
    }

    public bool IsAlive => Pid is { } pid && OsProcesses.StartTime(pid) == startTime;

    /// <summary>
    /// One supervision step while the process should run: notices an exit (a crash: counted, restart
    /// scheduled after the backoff), restarts when due (<paramref name="mayStart"/>: e.g. the sidecar
    /// waits for its app), and probes health until ready. True when something visible changed.
    /// </summary>
    public async Task<bool> CheckAsync(bool mayStart, CancellationToken ct)
    {
        Log.Trim();
        var now = time.GetUtcNow();
        if (Pid is not null && !IsAlive)
        {
            ForgetProcess();
            crashes.Add(now);
            var backoff = Backoff();
            restartAt = now + backoff;
            LastError = $"{launch.Name} exited unexpectedly at {now:HH:mm:ss}; restarting in {backoff.TotalSeconds:0.#} s";
            AppendMarker(LastError);
            return true;
        }
        if (Pid is null)
        {
            if (!mayStart || (restartAt is { } due && now < due)) return false;
            if (restartAt is not null) Restarts++;
            Start();
            return true;
        }
        if (Ready) return false;
        if (await HealthyAsync(ct))
        {
            Ready = true;
            LastError = null;
            return true;
        }
        if (StartedAt is { } started && now - started > options.StartTimeout && LastError is null)
        {
            LastError = $"{launch.Name} not healthy at {launch.HealthUrl}{(launch.HealthNamespace is { } ns ? $" (in network namespace {ns})" : "")} {options.StartTimeout.TotalSeconds:0} s after its start (see its log)";
            return true;
        }
        return false;
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; forgets the process and its pending restart.</summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken ct)
    {
        restartAt = null;
        if (Pid is { } pid && IsAlive)
        {
            AppendMarker("stopping");
            OsProcesses.Terminate(pid);
            var deadline = time.GetUtcNow() + grace;
            while (IsAlive && time.GetUtcNow() < deadline)
                await Task.Delay(100, ct);
            if (IsAlive) OsProcesses.ForceKill(pid);
            while (IsAlive)
                await Task.Delay(50, ct);
        }
        ForgetProcess();
        File.Delete(PidFile);
    }

    /// <summary>A start asked for by an operator: the crash history is cleared, so backoff starts over.</summary>
    public void ClearCrashes()
    {
        crashes.Clear();
        restartAt = null;
        LastError = null;
    }

    private void ForgetProcess()
    {
        child?.Dispose();
        child = null;
        Pid = null;
        Ready = false;
    }

    private int RecentCrashes()
    {
        var since = time.GetUtcNow() - options.CrashLoopWindow;
        crashes.RemoveAll(c => c < since);
        return crashes.Count;
    }

    private TimeSpan Backoff()
    {
        var exponent = Math.Min(RecentCrashes() - 1, 16);
        var delay = options.InitialRestartBackoff * Math.Pow(2, Math.Max(exponent, 0));
        return delay < options.MaxRestartBackoff ? delay : options.MaxRestartBackoff;
    }

    private async Task<bool> HealthyAsync(CancellationToken ct)
    {
        try
        {
            if (launch.HealthNamespace is { } networkNamespace)
                return await NetworkNamespaceProbe.HealthyAsync(networkNamespace, launch.HealthUrl, ct);
            using var response = await Probe.GetAsync(launch.HealthUrl, ct);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The driver's own lines in the process's log, so the log tells why it restarted.</summary>
    private void AppendMarker(string message) =>
        File.AppendAllText(Log.Path, $"--- meshwork portal {time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}: {message}{Environment.NewLine}");

    private sealed record PidRecord(int Pid, long StartTime, DateTimeOffset StartedAt);
}
