using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Processes;
using M = Meshwork.Model.Snapshots;

namespace Meshwork.Proxy.Tests.Transport;

/// <summary>
/// A proxy process started as <see cref="ProxyProcess"/> starts one, with <c>--Proxy:Transport</c>
/// on its command line (null: the default), and a look at its threads to tell which transport runs.
/// </summary>
public sealed class TransportProxy : IAsyncDisposable
{
    /// <summary>The event-loop threads are named meshwork-epoll-N; Linux keeps 15 characters of a thread's name.</summary>
    public const string EpollThreadPrefix = "meshwork-epoll";

    private readonly string directory;

    private TransportProxy(ChildProcess process, string directory, int adminPort)
    {
        Process = process;
        this.directory = directory;
        AdminPort = adminPort;
    }

    public ChildProcess Process { get; }
    public int AdminPort { get; }

    /// <summary>The transport the proxy says it uses (/stats "transport").</summary>
    public async Task<string?> ReportedTransportAsync()
    {
        using var admin = new HttpClient();
        var stats = await admin.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{AdminPort}/stats");
        return stats.GetProperty("transport").GetString();
    }

    public static async Task<TransportProxy> StartAsync(M.ProxySnapshot snapshot, string name, string? transport)
    {
        var directory = Directory.CreateTempSubdirectory("meshwork-transport-test-").FullName;
        var file = Path.Combine(directory, "snapshot.json");
        await ProxyProcess.WriteSnapshotAsync(file, snapshot);
        var adminPort = FreePort.Next();
        var args = new List<string>
        {
            "--Proxy:BindAddress", "127.0.0.1",
            "--Proxy:AdminPort", adminPort.ToString(CultureInfo.InvariantCulture),
            "--Proxy:StateDirectory", directory,
            "--Proxy:SnapshotFile", file,
            "--Logging:LogLevel:Default", "Warning",
        };
        if (transport is not null)
            args.AddRange(["--Proxy:Transport", transport]);
        var proxy = new TransportProxy(ChildProcess.Start("Meshwork.Proxy", args, name: name), directory, adminPort);
        try
        {
            await proxy.Process.WaitForHttpOkAsync($"http://127.0.0.1:{adminPort}/ready");
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
        return proxy;
    }

    /// <summary>The names of the proxy process's threads (/proc/PID/task/TID/comm).</summary>
    public IReadOnlyList<string> ThreadNames()
    {
        var names = new List<string>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{Process.Id}/task"))
        {
            try
            {
                names.Add(File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The thread ended between listing and reading.
            }
        }
        return names;
    }

    public int EpollThreadCount() => ThreadNames().Count(n => n.StartsWith(EpollThreadPrefix, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        ProxyProcess.DeleteDirectory(directory);
    }
}
