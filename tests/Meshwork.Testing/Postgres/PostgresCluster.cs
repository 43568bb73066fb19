using System.Diagnostics;
using Meshwork.Testing.Processes;
using Npgsql;

namespace Meshwork.Testing.Postgres;

/// <summary>
/// A real, throwaway PostgreSQL cluster for one test run: initdb into a temp folder, start on a
/// free loopback port with durability off (tests only), stop and delete at process exit (an unhandled exception's included).
/// One cluster per test process; each test class takes its own database from it.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>Unprivileged OS user the server runs as when tests run as root (initdb refuses root).</summary>
    public const string ServiceUser = "meshwork";

    private static readonly SemaphoreSlim SharedLock = new(1, 1);
    private static PostgresCluster? shared;
    private int databaseCounter;

    private PostgresCluster(string dataDirectory, string binDirectory, int port)
    {
        DataDirectory = dataDirectory;
        BinDirectory = binDirectory;
        Port = port;
    }

    public string DataDirectory { get; }
    public string BinDirectory { get; }
    public int Port { get; }

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Include Error Detail=true";

    /// <summary>The cluster shared by every test in this process, started on first use.</summary>
    public static async Task<PostgresCluster> SharedAsync()
    {
        await SharedLock.WaitAsync();
        try
        {
            if (shared is null)
            {
                shared = await StartAsync();
                var cluster = shared;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopAndDelete();
                // A process that dies of an unhandled exception aborts without ProcessExit: without this its
                // cluster keeps running (a benchmark that failed left them behind).
                AppDomain.CurrentDomain.UnhandledException += (_, e) =>
                {
                    if (e.IsTerminating)
                        cluster.StopAndDelete();
                };
            }
            return shared;
        }
        finally
        {
            SharedLock.Release();
        }
    }

    public static async Task<PostgresCluster> StartAsync()
    {
        var bin = FindBinDirectory();
        var dir = Path.Combine(Path.GetTempPath(), $"meshwork-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dir);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await EnsureServiceUserAsync();
            await RunAsync("chown", [ServiceUser, dir], asServiceUser: false);
        }

        var port = FreePort.Next();
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"], asRoot);
        var cluster = new PostgresCluster(dir, bin, port);
        await cluster.StartServerAsync();
        return cluster;
    }

    /// <summary>
    /// Stops the server as a crash would (immediate: connections cut, no checkpoint), waits
    /// <paramref name="downFor"/> and starts it again on the same port, for outage tests.
    /// </summary>
    public async Task RestartAsync(TimeSpan downFor)
    {
        await RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], Environment.UserName == "root");
        await Task.Delay(downFor);
        await StartServerAsync();
        // This process's own pooled connections died with the server (the system under test recovers on its own).
        NpgsqlConnection.ClearAllPools();
    }

    private Task StartServerAsync()
    {
        var serverOptions =
            $"-p {Port} -k {DataDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        return RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-o", serverOptions, "-l", Path.Combine(DataDirectory, "server.log"), "-w", "start"],
            Environment.UserName == "root");
    }

    /// <summary>A new empty database (optionally copied from a template) and its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? template = null)
    {
        var name = $"test_{Interlocked.Increment(ref databaseCounter)}_{Guid.NewGuid():N}"[..30];
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        var sql = template is null ? $"CREATE DATABASE \"{name}\"" : $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"";
        await using (var command = new NpgsqlCommand(sql, connection))
            await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public ValueTask DisposeAsync()
    {
        StopAndDelete();
        return ValueTask.CompletedTask;
    }

    private void StopAndDelete()
    {
        try
        {
            var asRoot = Environment.UserName == "root";
            RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], asRoot)
                .GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // Already stopped (or never started): nothing to stop; the folder still goes.
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string FindBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("MESHWORK_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
            return configured;
        const string root = "/usr/lib/postgresql";
        var candidate = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        return candidate ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin. Install them with " +
            "`apt-get install -y postgresql` (./meshwork test does this) or set MESHWORK_PG_BIN.");
    }

    private static async Task EnsureServiceUserAsync()
    {
        var (code, _) = await TryRunAsync("id", ["-u", ServiceUser], asServiceUser: false);
        if (code != 0)
            await TryRunAsync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ServiceUser], asServiceUser: false);
    }


    private static async Task RunAsync(string file, string[] arguments, bool asServiceUser)
    {
        var (code, output) = await TryRunAsync(file, arguments, asServiceUser);
        if (code != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited with {code}: {output}");
    }

    private static async Task<(int Code, string Output)> TryRunAsync(string file, string[] arguments, bool asServiceUser)
    {
        var start = new ProcessStartInfo
        {
            FileName = asServiceUser ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asServiceUser)
        {
            foreach (var a in new[] { "-u", ServiceUser, "--", file })
                start.ArgumentList.Add(a);
        }
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        // pg_ctl start leaves the server holding inherited pipes; read only until the launcher exits.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(2)));
        var output = (stderr.IsCompletedSuccessfully ? stderr.Result : "") + (stdout.IsCompletedSuccessfully ? stdout.Result : "");
        return (process.ExitCode, output);
    }
}
