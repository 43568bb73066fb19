using System.Diagnostics;
using Meshwork.Testing.Processes;

namespace Meshwork.E2E;

/// <summary>
/// A Meshwork service as a real process (its built dll under `dotnet`) with the given settings, on
/// loopback. Its output goes to a log file that failures point at.
/// </summary>
public sealed class MeshworkProcess : IAsyncDisposable
{
    /// <summary>
    /// How long a process may take to answer its health check. Generous on purpose: a CI machine running
    /// builds beside the suite (load average 50 on 2 cores was seen) needed over 90 s for the portal's first
    /// start, which migrates both schemas.
    /// </summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(240);

    private readonly Process process;

    private MeshworkProcess(Process process, string url, string logPath, string dataDirectory)
    {
        this.process = process;
        Url = url;
        LogPath = logPath;
        DataDirectory = dataDirectory;
    }

    public string Url { get; }

    /// <summary>The process id, for reading its memory from /proc (bench/topology.sh).</summary>
    public int ProcessId => process.Id;

    public string LogPath { get; }
    public string DataDirectory { get; }

    /// <summary>The portal on a free port; it migrates the database and creates the admin.</summary>
    /// <summary>Shared by the portal and the control plane the journey starts, so Fleet and Topology can watch.</summary>
    private static readonly string StatusToken = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public static Task<MeshworkProcess> StartPortalAsync(string connectionString, string adminEmail, string adminPassword, string? controlPlaneAddress,
        string? trustBundleFile = null, IReadOnlyDictionary<string, string>? extraSettings = null)
    {
        var port = FreePort.Next();
        var url = $"http://127.0.0.1:{port}";
        var data = NewDataDirectory();
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Meshwork"] = connectionString,
            ["Portal__DataDirectory"] = Path.Combine(data, "portal"),
            ["Portal__Admin__Email"] = adminEmail,
            ["Portal__Admin__Password"] = adminPassword,
            ["Portal__ControlPlane__Address"] = controlPlaneAddress ?? "",
            ["Portal__ControlPlane__StatusToken"] = StatusToken,
            ["Portal__ControlPlane__TrustBundleFile"] = trustBundleFile ?? "",
        };
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string>())
            settings[key] = value;
        return StartAsync("Meshwork.Portal", data, url, url + "/health", settings, "--urls", url);
    }

    /// <summary>
    /// The control plane: gRPC over TLS on <paramref name="grpcPort"/> (mesh root written to
    /// <paramref name="trustBundleFile"/>), health on a free HTTP/1.1 port; a fresh CA key.
    /// </summary>
    public static Task<MeshworkProcess> StartControlPlaneAsync(string connectionString, int grpcPort, string trustBundleFile)
    {
        var httpPort = FreePort.Next();
        return StartAsync("Meshwork.ControlPlane", NewDataDirectory(), $"https://127.0.0.1:{grpcPort}", $"http://127.0.0.1:{httpPort}/health",
            new Dictionary<string, string>
            {
                ["ConnectionStrings__Meshwork"] = connectionString,
                ["ControlPlane__GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["ControlPlane__StatusToken"] = StatusToken,
                ["ControlPlane__HttpPort"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["ControlPlane__CaKeyEncryptionKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                ["ControlPlane__TrustBundleFile"] = trustBundleFile,
            });
    }

    private static string NewDataDirectory()
    {
        var data = Path.Combine(Path.GetTempPath(), "meshwork-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(data);
        return data;
    }

    private static async Task<MeshworkProcess> StartAsync(string project, string dataDirectory, string url, string healthUrl,
        IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var dll = FindDll(project);
        var logPath = Path.Combine(dataDirectory, project + ".log");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + project);
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = new MeshworkProcess(process, url, logPath, dataDirectory);

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{project} exited with {process.ExitCode}; log: {logPath}");
            try
            {
                using var response = await http.GetAsync(healthUrl);
                if (response.IsSuccessStatusCode)
                    return started;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
        await started.DisposeAsync();
        throw new TimeoutException($"{project} did not become healthy in {StartTimeout.TotalSeconds:0} s; log: {logPath}");
    }

    /// <summary>A service built beside this test project: .build/SLOT/bin/... with a build slot, else src/.../bin/...</summary>
    private static string FindDll(string project)
    {
        var baseDirectory = AppContext.BaseDirectory;
        var configuration = baseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var root = new DirectoryInfo(baseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Portal.sln")))
            root = root.Parent;
        if (root is null)
            throw new InvalidOperationException("Portal.sln not found above " + baseDirectory);
        var slot = Environment.GetEnvironmentVariable("MESHWORK_BUILD_SLOT");
        string[] candidates =
        [
            .. string.IsNullOrEmpty(slot) ? Array.Empty<string>() : [Path.Combine(root.FullName, ".build", slot, "bin", project, configuration, "net10.0", project + ".dll")],
            Path.Combine(root.FullName, "src", project, "bin", configuration, "net10.0", project + ".dll"),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"Build {project} first (the E2E project references it): " + string.Join(", ", candidates));
    }

    /// <summary>The process's last warnings and errors with the lines under them, for a failure message.</summary>
    public string RecentProblems(int entries = 10)
    {
        string[] lines;
        try
        {
            using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            lines = reader.ReadToEnd().Split('\n');
        }
        catch (IOException e)
        {
            return $"(log {LogPath} unreadable: {e.Message})";
        }
        var found = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("warn:", StringComparison.Ordinal) && !lines[i].StartsWith("fail:", StringComparison.Ordinal))
                continue;
            var entry = lines[i];
            while (i + 1 < lines.Length && lines[i + 1].StartsWith("      ", StringComparison.Ordinal))
                entry += " | " + lines[++i].Trim();
            found.Add(entry);
        }
        return found.Count == 0 ? "(no warnings in the log)" : string.Join("\n", found.TakeLast(entries));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
    }
}
