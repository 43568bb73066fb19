using System.Globalization;
using System.Net.Http.Json;

namespace Meshwork.Testing.Processes;

/// <summary>A demo service (Meshwork.DemoApps backend) running as its own process on a free loopback port.</summary>
public sealed class DemoBackendProcess : IAsyncDisposable
{
    private static readonly HttpClient Admin = new() { Timeout = TimeSpan.FromSeconds(10) };

    private DemoBackendProcess(ChildProcess process, string service, string version, string instance, int port)
    {
        Process = process;
        Service = service;
        Version = version;
        Instance = instance;
        Port = port;
    }

    public ChildProcess Process { get; }
    public string Service { get; }
    public string Version { get; }
    public string Instance { get; }
    public int Port { get; }
    public string Address => $"127.0.0.1:{Port}";
    public string Url => $"http://{Address}";

    public static async Task<DemoBackendProcess> StartAsync(string service, string version, string instance, double errorRate = 0, int bodyBytes = 0)
    {
        var port = FreePort.Next();
        var process = ChildProcess.Start("Meshwork.DemoApps",
        [
            "backend", "--urls", $"http://127.0.0.1:{port}",
            "--Demo:Service", service, "--Demo:Version", version, "--Demo:Instance", instance,
            "--Demo:ErrorRate", errorRate.ToString(CultureInfo.InvariantCulture),
            "--Demo:BodyBytes", bodyBytes.ToString(CultureInfo.InvariantCulture),
        ], name: instance);
        var backend = new DemoBackendProcess(process, service, version, instance, port);
        try
        {
            await process.WaitForHttpOkAsync(backend.Url + "/health");
        }
        catch
        {
            await backend.DisposeAsync();
            throw;
        }
        return backend;
    }

    public async Task SetErrorRateAsync(double rate)
    {
        using var response = await Admin.PostAsync($"{Url}/admin/config?errorRate={rate.ToString(CultureInfo.InvariantCulture)}", null);
        response.EnsureSuccessStatusCode();
    }

    public async Task SetHealthyAsync(bool healthy)
    {
        using var response = await Admin.PostAsync($"{Url}/admin/config?healthy={(healthy ? "true" : "false")}", null);
        response.EnsureSuccessStatusCode();
    }

    public async Task SetLatencyAsync(int milliseconds)
    {
        using var response = await Admin.PostAsync($"{Url}/admin/config?latencyMs={milliseconds}", null);
        response.EnsureSuccessStatusCode();
    }

    public async Task<long> RequestCountAsync() => (await StatsAsync()).Requests;

    /// <summary>Requests since the error rate was last set (every attempt that reached the app), and errors injected since start.</summary>
    public async Task<BackendStats> StatsAsync() => (await Admin.GetFromJsonAsync<BackendStats>($"{Url}/admin/stats"))!;

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    public sealed record BackendStats(long Requests, long Errors);
}
