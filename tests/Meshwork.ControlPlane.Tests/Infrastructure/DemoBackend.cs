using Meshwork.Testing.Processes;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>A Meshwork.DemoApps backend process; answers with x-served-by: its instance name.</summary>
public sealed class DemoBackend : IAsyncDisposable
{
    private readonly ChildProcess process;

    private DemoBackend(ChildProcess process, string instance, int port)
    {
        this.process = process;
        Instance = instance;
        Port = port;
    }

    public string Instance { get; }
    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";

    public static async Task<DemoBackend> StartAsync(string service, string version, string instance)
    {
        var port = FreePorts.Next();
        var process = ChildProcess.Start("Meshwork.DemoApps",
            ["backend", "--urls", $"http://127.0.0.1:{port}", "--Demo:Service", service, "--Demo:Version", version, "--Demo:Instance", instance],
            name: instance);
        var backend = new DemoBackend(process, instance, port);
        try
        {
            await process.WaitForHttpOkAsync($"http://127.0.0.1:{port}/health");
        }
        catch
        {
            await backend.DisposeAsync();
            throw;
        }
        return backend;
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();
}
