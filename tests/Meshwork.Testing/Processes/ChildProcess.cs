using System.Collections.Concurrent;
using System.Diagnostics;

namespace Meshwork.Testing.Processes;

/// <summary>
/// A built .NET app (a dll next to the test assembly, copied there by a project reference) run as
/// a real child process: `dotnet X.dll args`. Output is kept for failure messages; the process
/// tree is killed on dispose, so a failed test never leaves processes behind.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int MaxLines = 400;
    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();

    private ChildProcess(Process process, string name)
    {
        this.process = process;
        Name = name;
    }

    public string Name { get; }
    public int Id => process.Id;
    public bool HasExited => process.HasExited;

    /// <summary>The last lines of stdout and stderr.</summary>
    public string Output => string.Join(Environment.NewLine, lines);

    /// <summary>
    /// Starts `dotnet {assembly}.dll {args}` from the test's output folder, behind <paramref name="wrapper"/>
    /// when given (a command that runs the rest, e.g. `ip netns exec NAME`).
    /// </summary>
    public static ChildProcess Start(string assemblyName, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? name = null,
        IReadOnlyList<string>? wrapper = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"{dll} not found: reference the project from the test project so its output is copied", dll);
        var info = new ProcessStartInfo(wrapper is [var command, ..] ? command : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var part in wrapper?.Skip(1).Append("dotnet") ?? [])
            info.ArgumentList.Add(part);
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        info.Environment.Remove("ASPNETCORE_URLS");
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
                info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, name ?? assemblyName);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lines.Enqueue(line);
        while (lines.Count > MaxLines && lines.TryDequeue(out _))
        {
        }
    }

    /// <summary>Polls the URL until it answers 2xx; throws with the process output when it does not in time or the process died.</summary>
    public async Task WaitForHttpOkAsync(string url, TimeSpan? timeout = null)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        while (deadline.Elapsed < limit)
        {
            if (process.HasExited)
            {
                await DrainOutputAsync(process);
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode} before {url} was ready:{Environment.NewLine}{Output}");
            }
            try
            {
                using var response = await client.GetAsync(url);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Name}: {url} not ready after {limit}:{Environment.NewLine}{Output}");
    }

    /// <summary>
    /// Waits for the process to exit on its own and returns its exit code. Unlike polling
    /// <see cref="HasExited"/>, this also waits until its last output has been read, so
    /// <see cref="Output"/> then holds everything it wrote (its final error message included).
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await process.WaitForExitAsync().WaitAsync(timeout);
        return process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as `docker stop` and Kubernetes do, and returns the exit code of the graceful shutdown.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        await process.WaitForExitAsync().WaitAsync(timeout);
        return process.ExitCode;
    }

    /// <summary>
    /// Waits (briefly) until the output of a process that has exited is read to its end: HasExited turns true
    /// before the async readers have delivered its last lines, and those lines (why it stopped) are what a
    /// failure message needs.
    /// </summary>
    public static async Task DrainOutputAsync(Process exited)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await exited.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            // A grandchild still holds the pipes open: report what was read so far.
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
        }
        process.Dispose();
    }
}
