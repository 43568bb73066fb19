using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
namespace Meshwork.Testing.Processes;

/// <summary>A real Meshwork proxy process configured only by the control plane (no snapshot file).</summary>
public sealed class MeshProxy : IAsyncDisposable
{
    private static readonly HttpClient Admin = new() { Timeout = TimeSpan.FromSeconds(5) };
    private ChildProcess? process;

    private MeshProxy(string id, string service, string version, string? appAddress)
    {
        Id = id;
        Service = service;
        Version = version;
        AppAddress = appAddress;
    }

    public string Id { get; }
    public string Service { get; }
    public string Version { get; }
    public string? AppAddress { get; private set; }
    public int AdminPort { get; } = FreePort.Next();
    public int InboundPort { get; } = FreePort.Next();
    public int OutboundPort { get; } = FreePort.Next();

    /// <summary>Where this proxy binds its TcpRoute listeners: an address of its own, as every sidecar listens on every route's port.</summary>
    public string TcpBindAddress { get; } = NextTcpBindAddress();
    public string StateDirectory { get; } = Directory.CreateTempSubdirectory("meshwork-cp-test-proxy-").FullName;
    public string Output => process?.Output ?? "";

    /// <summary>A proxy given one or several control plane replicas (ControlPlaneClient:Address as a list) sharing one mesh root.</summary>
    public static async Task<MeshProxy> StartAsync(IReadOnlyList<string> controlPlaneAddresses, string trustBundleFile, string token,
        string id, string service, string version, string? appAddress)
    {
        var proxy = new MeshProxy(id, service, version, appAddress);
        try
        {
            await proxy.StartAsync(controlPlaneAddresses, trustBundleFile, token);
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
        return proxy;
    }

    /// <summary>(Re)starts the process on the same ports and state directory; waits until a snapshot serves.</summary>
    public async Task StartAsync(IReadOnlyList<string> controlPlaneAddresses, string trustBundleFile, string token, string? appAddress = null)
    {
        AppAddress = appAddress ?? AppAddress;
        string[] args =
        [
            "--Proxy:BindAddress", "127.0.0.1",
            "--Proxy:AdminPort", AdminPort.ToString(),
            "--Proxy:InboundPort", InboundPort.ToString(),
            "--Proxy:OutboundPort", OutboundPort.ToString(),
            "--Proxy:TcpBindAddress", TcpBindAddress,
            "--Proxy:StateDirectory", StateDirectory,
            "--Logging:LogLevel:Default", "Warning",
            "--ControlPlaneClient:Address", string.Join(",", controlPlaneAddresses),
            "--ControlPlaneClient:TrustBundleFile", trustBundleFile,
            "--ControlPlaneClient:BootstrapToken", token,
            "--ControlPlaneClient:ProxyId", Id,
            "--ControlPlaneClient:Service", Service,
            "--ControlPlaneClient:Version", Version,
            "--ControlPlaneClient:AppAddress", AppAddress ?? "",
            "--ControlPlaneClient:MaxBackoff", "00:00:02",
        ];
        process = ChildProcess.Start("Meshwork.Proxy", args, name: Id);
        await process.WaitForHttpOkAsync($"http://127.0.0.1:{AdminPort}/ready", TimeSpan.FromSeconds(60));
    }

    public async Task StopAsync()
    {
        if (process is not null) await process.DisposeAsync();
        process = null;
    }

    /// <summary>Stops the proxy with SIGTERM and returns its exit code (0 for a clean shutdown).</summary>
    public Task<int> TerminateAsync() =>
        process?.TerminateAsync(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException($"{Id} is not running");

    /// <summary>The proxy's /snapshot admin view: serving version and hash, last apply outcome.</summary>
    public async Task<JsonElement> SnapshotInfoAsync() => await Admin.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{AdminPort}/snapshot");

    /// <summary>The control plane the proxy streams from, as its /stats says ("controlPlane").</summary>
    public async Task<(string Address, bool Connected)> ControlPlaneLinkAsync()
    {
        var link = (await Admin.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{AdminPort}/stats")).GetProperty("controlPlane");
        return (link.GetProperty("address").GetString()!, link.GetProperty("connected").GetBoolean());
    }

    /// <summary>The proxy's Prometheus exposition (/metrics on the admin port).</summary>
    public async Task<string> MetricsAsync() => await Admin.GetStringAsync($"http://127.0.0.1:{AdminPort}/metrics");

    /// <summary>The live tap as the proxy's /stats says ("tap"): active, tapId, sampled, rateLimited, dropped.</summary>
    public async Task<JsonElement> TapStatsAsync() =>
        (await Admin.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{AdminPort}/stats")).GetProperty("tap");

    /// <summary>Why the proxy's last control plane attempt failed, as its /stats says; null once admitted.</summary>
    public async Task<string?> ControlPlaneErrorAsync() =>
        (await Admin.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{AdminPort}/stats")).GetProperty("controlPlane").GetProperty("lastError").GetString();

    /// <summary>An app's view of the mesh: HTTP_PROXY pointed at this sidecar's outbound listener.</summary>
    public HttpClient OutboundClient() => new(new SocketsHttpHandler
    {
        Proxy = new WebProxy($"http://127.0.0.1:{OutboundPort}"),
        UseProxy = true,
    })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int tcpBindAddresses;

    /// <summary>127.10.0.2, 127.10.0.3, ...: loopback addresses (all of 127/8 is local on Linux) apart from the proxy tests' 127.0.0.x.</summary>
    private static string NextTcpBindAddress()
    {
        var n = Interlocked.Increment(ref tcpBindAddresses);
        return $"127.10.{n / 250 % 250}.{n % 250 + 1}";
    }
}
