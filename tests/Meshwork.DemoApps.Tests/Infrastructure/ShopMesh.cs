using System.Globalization;
using System.Net;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Snapshots;
using Meshwork.Testing.Processes;

namespace Meshwork.DemoApps.Tests.Infrastructure;

/// <summary>
/// The demo shop's services as real processes (frontend, catalog v2, pricing, reviews v3, ratings),
/// each calling the others by mesh name through a real Meshwork proxy's outbound listener
/// (HTTP_PROXY), as behind their sidecars in `./meshwork up`. The proxy is configured from a snapshot
/// file with every app as an instance of its service, so it routes, measures and answers exactly as in
/// the mesh, without a control plane. One proxy serves all callers here: the launcher test covers the
/// per-app sidecars and mTLS between them.
/// </summary>
public sealed class ShopMesh : IAsyncLifetime
{
    private static readonly (string Service, string Version)[] Members =
        [("frontend", "v1"), ("catalog", "v2"), ("pricing", "v1"), ("reviews", "v3"), ("ratings", "v1")];

    private readonly Dictionary<string, (int Port, ChildProcess Process)> apps = [];
    private readonly string stateDirectory = Directory.CreateTempSubdirectory("meshwork-shop-proxy-").FullName;
    private ChildProcess? proxy;

    public int OutboundPort { get; } = FreePort.Next();
    public int ProxyAdminPort { get; } = FreePort.Next();

    /// <summary>A client of the mesh: requests by service name (http://frontend/...) through the proxy.</summary>
    public HttpClient Mesh { get; private set; } = null!;

    /// <summary>A client for the apps' own addresses (their /admin knobs), never through the proxy.</summary>
    public HttpClient Direct { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public string AppUrl(string service) => $"http://127.0.0.1:{apps[service].Port}";

    public async Task InitializeAsync()
    {
        var environment = new Dictionary<string, string> { ["HTTP_PROXY"] = $"http://127.0.0.1:{OutboundPort}" };
        foreach (var (service, version) in Members)
        {
            var port = FreePort.Next();
            apps[service] = (port, ChildProcess.Start("Meshwork.DemoApps",
            [
                service, "--urls", $"http://127.0.0.1:{port}",
                "--Demo:Service", service, "--Demo:Version", version, "--Demo:Instance", $"{service}-{version}-1",
            ], environment, name: service));
        }
        await Task.WhenAll(apps.Values.Select(app => app.Process.WaitForHttpOkAsync($"http://127.0.0.1:{app.Port}/health")));

        var file = Path.Combine(stateDirectory, "snapshot.json");
        await File.WriteAllTextAsync(file, SnapshotMapper.ToJson(Snapshot()));
        proxy = ChildProcess.Start("Meshwork.Proxy",
        [
            "--Proxy:BindAddress", "127.0.0.1", "--Proxy:AdminPort", Text(ProxyAdminPort),
            "--Proxy:StateDirectory", stateDirectory, "--Proxy:SnapshotFile", file, "--Logging:LogLevel:Default", "Warning",
        ], name: "shop-proxy");
        await proxy.WaitForHttpOkAsync($"http://127.0.0.1:{ProxyAdminPort}/ready");
        Mesh = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{OutboundPort}"), UseProxy = true })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Turns an app's knobs through its own admin endpoint, as a test or a rollout demo does.</summary>
    public async Task SetKnobsAsync(string service, string query)
    {
        using var response = await Direct.PostAsync($"{AppUrl(service)}/admin/config?{query}", null);
        Assert.True(response.IsSuccessStatusCode, $"POST {service} /admin/config?{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The proxy's /stats document (outbound rows per destination, version and status class).</summary>
    public Task<string> ProxyStatsAsync() => Direct.GetStringAsync($"http://127.0.0.1:{ProxyAdminPort}/stats");

    private Meshwork.Model.Snapshots.ProxySnapshot Snapshot() => SnapshotHash.WithHash(SnapshotCompiler.Compile(new SnapshotInputs
    {
        Resources = Members.Select(m => (Resource)new Service
        {
            Metadata = new ResourceMetadata { Name = m.Service },
            Versions = [new ServiceVersion { Name = m.Version }],
        }).ToArray(),
        Instances = Members.Select(m => new Instance
        {
            Id = $"{m.Service}-{m.Version}-1",
            Service = m.Service,
            Version = m.Version,
            Address = $"127.0.0.1:{apps[m.Service].Port}",
            ProxyId = $"{m.Service}-{m.Version}-1",
            Health = InstanceHealth.Healthy,
        }).ToArray(),
        Proxy = new ProxyIdentity { ProxyId = "shop-proxy", Service = "shop-client", Version = "v1", OutboundPort = OutboundPort },
        Version = 1,
    }));

    public async Task DisposeAsync()
    {
        Mesh?.Dispose();
        Direct.Dispose();
        if (proxy is not null)
            await proxy.DisposeAsync();
        await Task.WhenAll(apps.Values.Select(app => app.Process.DisposeAsync().AsTask()));
        try
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
