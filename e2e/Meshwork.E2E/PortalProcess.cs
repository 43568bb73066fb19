using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Meshwork.E2E;

/// <summary>
/// The portal as a real process (the built Meshwork.Portal.dll under `dotnet`), on a free loopback
/// port, against a given database. Its output goes to a log file that failures point at.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process process;

    private PortalProcess(Process process, string url, string logPath, string dataDirectory)
    {
        this.process = process;
        Url = url;
        LogPath = logPath;
        DataDirectory = dataDirectory;
    }

    public string Url { get; }
    public string LogPath { get; }
    public string DataDirectory { get; }

    public static async Task<PortalProcess> StartAsync(string connectionString, string adminEmail, string adminPassword)
    {
        var dll = FindPortalDll();
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var dataDirectory = Path.Combine(Path.GetTempPath(), "meshwork-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDirectory);
        var logPath = Path.Combine(dataDirectory, "portal.log");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { dll, "--urls", url })
            start.ArgumentList.Add(argument);
        start.Environment["ConnectionStrings__Meshwork"] = connectionString;
        start.Environment["Portal__DataDirectory"] = Path.Combine(dataDirectory, "portal");
        start.Environment["Portal__Admin__Email"] = adminEmail;
        start.Environment["Portal__Admin__Password"] = adminPassword;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the portal");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var portal = new PortalProcess(process, url, logPath, dataDirectory);

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"the portal exited with {process.ExitCode}; log: {logPath}");
            try
            {
                using var response = await http.GetAsync(url + "/health");
                if (response.IsSuccessStatusCode)
                    return portal;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
        await portal.DisposeAsync();
        throw new TimeoutException($"the portal did not become healthy in 90 s; log: {logPath}");
    }

    /// <summary>The portal built beside this test project: .build/SLOT/bin/... with a build slot, else src/.../bin/...</summary>
    private static string FindPortalDll()
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
            .. string.IsNullOrEmpty(slot) ? Array.Empty<string>() : [Path.Combine(root.FullName, ".build", slot, "bin", "Meshwork.Portal", configuration, "net10.0", "Meshwork.Portal.dll")],
            Path.Combine(root.FullName, "src", "Meshwork.Portal", "bin", configuration, "net10.0", "Meshwork.Portal.dll"),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("Build the portal first (the E2E project references it): " + string.Join(", ", candidates));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
