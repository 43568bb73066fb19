using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace ConvergenceBench;

/// <summary>
/// One control plane replica as its own process (as deployed), restartable on the same ports; reads
/// its CPU and RSS from /proc. Replicas of one set share the database, the CA key encryption key and
/// the trust bundle file (each writes the same root), as replicas of a deployment do.
/// </summary>
internal sealed class ControlPlaneHost
{
    private readonly string connectionString;
    private readonly string caKey;
    private Process? process;

    private ControlPlaneHost(string connectionString, string caKey, string statusToken, string trustBundleFile, string replicaId)
    {
        this.connectionString = connectionString;
        this.caKey = caKey;
        StatusToken = statusToken;
        TrustBundleFile = trustBundleFile;
        ReplicaId = replicaId;
    }

    /// <summary><paramref name="count"/> replicas over one database, on ports of their own.</summary>
    public static ControlPlaneHost[] Replicas(string connectionString, int count)
    {
        var caKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var statusToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var trustBundleFile = Path.Combine(Directory.CreateTempSubdirectory("meshwork-bench-cp-").FullName, "trust-bundle.pem");
        return Enumerable.Range(1, count).Select(k => new ControlPlaneHost(connectionString, caKey, statusToken, trustBundleFile, $"bench-cp-{k}")).ToArray();
    }

    public string ReplicaId { get; }

    public int GrpcPort { get; } = FreePort();
    public int HttpPort { get; } = FreePort();
    public string Address => $"https://127.0.0.1:{GrpcPort}";

    /// <summary>The mesh root the control plane writes at start; simulated proxies verify its TLS certificate against it, as real ones do.</summary>
    public string TrustBundleFile { get; }

    /// <summary>Admits the bench to the status stream (the portal's view of the fleet).</summary>
    public string StatusToken { get; }

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Meshwork.ControlPlane.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["ConnectionStrings__Meshwork"] = connectionString;
        info.Environment["ControlPlane__GrpcPort"] = GrpcPort.ToString();
        info.Environment["ControlPlane__HttpPort"] = HttpPort.ToString();
        info.Environment["ControlPlane__ReplicaId"] = ReplicaId;
        info.Environment["ControlPlane__CaKeyEncryptionKey"] = caKey;
        info.Environment["ControlPlane__TrustBundleFile"] = TrustBundleFile;
        info.Environment["ControlPlane__StatusToken"] = StatusToken;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Meshwork.ControlPlane.Compilation"] = "Debug";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{ReplicaId}] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{ReplicaId}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 600; i++)
        {
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{HttpPort}/health")).IsSuccessStatusCode) return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"control plane {ReplicaId} did not become healthy");
    }

    /// <summary>SIGKILL: a crash, not a clean stop (no stream is closed gracefully).</summary>
    public async Task KillAsync()
    {
        if (process is null) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process = null;
    }

    public long RssKb()
    {
        foreach (var line in File.ReadLines($"/proc/{process!.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return 0;
    }

    /// <summary>User + system CPU seconds the control plane has used so far.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{process!.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of /proc/pid/stat (utime, stime), counted after the command name.
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
