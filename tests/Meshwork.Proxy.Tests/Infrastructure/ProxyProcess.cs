using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meshwork.Protocol.Snapshots;
using Meshwork.Testing.Processes;
using M = Meshwork.Model.Snapshots;

namespace Meshwork.Proxy.Tests.Infrastructure;

/// <summary>
/// A Meshwork proxy running as its own process, configured from a snapshot file it watches
/// (rewrite the file to push a new snapshot), with its own state directory for the last good snapshot.
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private static readonly HttpClient Admin = new() { Timeout = TimeSpan.FromSeconds(10) };

    private bool ownsDirectory;

    private ProxyProcess(ChildProcess process, int adminPort, string snapshotFile, string stateDirectory)
    {
        Process = process;
        AdminPort = adminPort;
        SnapshotFile = snapshotFile;
        StateDirectory = stateDirectory;
    }

    public ChildProcess Process { get; }
    public int AdminPort { get; }
    public string SnapshotFile { get; }
    public string StateDirectory { get; }
    public string AdminUrl => $"http://127.0.0.1:{AdminPort}";

    /// <summary>
    /// Writes the snapshot to a fresh file and starts a proxy on it (or, with useFile false, on its
    /// state directory only); <paramref name="settings"/> are more command-line settings ("--Proxy:X", "value").
    /// </summary>
    public static async Task<ProxyProcess> StartAsync(M.ProxySnapshot snapshot, string name, string? stateDirectory = null, bool useFile = true,
        IReadOnlyList<string>? settings = null)
    {
        var directory = stateDirectory ?? Directory.CreateTempSubdirectory("meshwork-proxy-test-").FullName;
        var file = Path.Combine(directory, "snapshot.json");
        if (useFile)
            await WriteSnapshotAsync(file, snapshot);
        var adminPort = FreePort.Next();
        var args = new List<string>
        {
            "--Proxy:BindAddress", "127.0.0.1",
            "--Proxy:AdminPort", adminPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Proxy:StateDirectory", directory,
            "--Logging:LogLevel:Default", "Warning",
        };
        if (useFile)
            args.AddRange(["--Proxy:SnapshotFile", file]);
        args.AddRange(settings ?? []);
        var process = ChildProcess.Start("Meshwork.Proxy", args, name: name);
        var proxy = new ProxyProcess(process, adminPort, file, directory) { ownsDirectory = stateDirectory is null };
        try
        {
            await process.WaitForHttpOkAsync(proxy.AdminUrl + "/ready");
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
        return proxy;
    }

    public static async Task WriteSnapshotAsync(string file, M.ProxySnapshot snapshot)
    {
        var temp = file + ".tmp";
        await File.WriteAllTextAsync(temp, SnapshotMapper.ToJson(snapshot));
        File.Move(temp, file, overwrite: true);
    }

    /// <summary>Pushes a new snapshot through the file and waits until the proxy reports it applied (or rejected).</summary>
    public async Task<JsonElement> PushAsync(M.ProxySnapshot snapshot, bool expectAccepted = true)
    {
        await WriteSnapshotAsync(SnapshotFile, snapshot);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var info = await SnapshotInfoAsync();
            if (info.TryGetProperty("lastResult", out var last) && last.ValueKind == JsonValueKind.Object &&
                last.GetProperty("version").GetInt64() == snapshot.Version && last.GetProperty("hash").GetString() == snapshot.Hash)
            {
                if (last.GetProperty("accepted").GetBoolean() != expectAccepted)
                    throw new InvalidOperationException($"snapshot v{snapshot.Version} accepted={!expectAccepted}: {last}");
                return info;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"proxy did not pick up snapshot v{snapshot.Version}:{Environment.NewLine}{Process.Output}");
    }

    public async Task<JsonElement> SnapshotInfoAsync() => await Admin.GetFromJsonAsync<JsonElement>(AdminUrl + "/snapshot");

    public async Task<JsonElement> StatsAsync() => await Admin.GetFromJsonAsync<JsonElement>(AdminUrl + "/stats");

    public async Task<string> MetricsAsync() => await Admin.GetStringAsync(AdminUrl + "/metrics");

    /// <summary>An HttpClient that sends through the outbound listener as its HTTP proxy (absolute-form requests).</summary>
    public static HttpClient OutboundClient(int outboundPort) => new(new SocketsHttpHandler
    {
        Proxy = new WebProxy($"http://127.0.0.1:{outboundPort}"),
        UseProxy = true,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        if (ownsDirectory)
            DeleteDirectory(StateDirectory);
    }

    public static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
