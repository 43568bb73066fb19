using System.Globalization;
using System.Security.Cryptography;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;

namespace Meshwork.Portal.Tests.Live;

/// <summary>
/// A real mesh on the portal's database: the control plane, two sidecars (web calling shop) and a demo backend failing
/// every 20th request (5 %), plus paced traffic through web's sidecar. One per test, stopped with it.
/// </summary>
public sealed class LiveTrafficMesh : IAsyncDisposable
{
    public const double TargetRps = 100;
    public const double ErrorRate = 0.05;
    private const string StatusToken = "live-traffic-status-token";

    /// <summary>The portal, told where the control plane will listen before it starts (its watcher retries until then).</summary>
    public sealed class Portal : PortalFactory
    {
        public Portal() => Settings = new Dictionary<string, string>
        {
            ["Portal:ControlPlane:Address"] = $"https://127.0.0.1:{GrpcPort}",
            ["Portal:ControlPlane:StatusToken"] = StatusToken,
            ["Portal:ControlPlane:TrustBundleFile"] = TrustBundleFile,
        };

        public int GrpcPort { get; } = FreePort.Next();
        public string TrustBundleFile { get; } = Path.Combine(Directory.CreateTempSubdirectory("meshwork-live-traffic-").FullName, "trust-bundle.pem");
    }

    private readonly List<IAsyncDisposable> running = [];
    private MeshProxy? caller;

    private LiveTrafficMesh()
    {
    }

    public static async Task<LiveTrafficMesh> StartAsync(Portal portal)
    {
        var mesh = new LiveTrafficMesh();
        try
        {
            await mesh.StartProcessesAsync(portal);
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcessesAsync(Portal portal)
    {
        await using (var db = MigratedDatabase.OpenSession(portal.ConnectionString))
        {
            var store = new ResourceService(db, TimeProvider.System);
            var actor = new ChangeActor("live-traffic-test", ChangeSource.Api);
            foreach (var service in new[] { "web", "shop" })
                Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new Service { Metadata = new ResourceMetadata { Name = service }, Versions = [new ServiceVersion { Name = "v1" }] }, actor));
        }
        var httpPort = FreePort.Next();
        var controlPlane = ChildProcess.Start("Meshwork.ControlPlane", [], new Dictionary<string, string>
        {
            ["ConnectionStrings__Meshwork"] = portal.ConnectionString,
            ["ControlPlane__GrpcPort"] = portal.GrpcPort.ToString(CultureInfo.InvariantCulture),
            ["ControlPlane__HttpPort"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["ControlPlane__StatusToken"] = StatusToken,
            ["ControlPlane__CaKeyEncryptionKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["ControlPlane__TrustBundleFile"] = portal.TrustBundleFile,
        });
        running.Add(controlPlane);
        await controlPlane.WaitForHttpOkAsync($"http://127.0.0.1:{httpPort}/health");

        string token;
        await using (var db = MigratedDatabase.OpenSession(portal.ConnectionString))
            token = (await new BootstrapTokenService(db, TimeProvider.System).IssueAsync("live-traffic", "*", "default", TimeSpan.FromHours(1), new ChangeActor("test", ChangeSource.System), allowWildcard: true)).Secret;
        var controlPlanes = new[] { $"https://127.0.0.1:{portal.GrpcPort}" };
        var backend = await DemoBackendProcess.StartAsync("shop", "v1", "shop-v1-a", errorRate: ErrorRate);
        running.Add(backend);
        running.Add(await MeshProxy.StartAsync(controlPlanes, portal.TrustBundleFile, token, "shop-v1-1", "shop", "v1", backend.Address));
        caller = await MeshProxy.StartAsync(controlPlanes, portal.TrustBundleFile, token, "web-1", "web", "v1", appAddress: null);
        running.Add(caller);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = running.Count - 1; i >= 0; i--)
            await running[i].DisposeAsync();
    }

    /// <summary>Requests to http://shop/ through web's sidecar, paced at <see cref="TargetRps"/> by four workers, until cancelled.</summary>
    public async Task TrafficAsync(CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(4 / TargetRps);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var client = caller!.OutboundClient();
            using var timer = new PeriodicTimer(interval);
            try
            {
                while (await timer.WaitForNextTickAsync(ct))
                {
                    try
                    {
                        using var response = await client.GetAsync("http://shop/", ct);
                    }
                    catch (HttpRequestException)
                    {
                        // Counted by the proxies (or not at all); the assertions read their view.
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }));
    }
}

/// <summary>A test class over a <see cref="LiveTrafficMesh"/> of its own portal's database, started for each test and stopped after it.</summary>
public abstract class LiveTrafficMeshTest(LiveTrafficMesh.Portal portal) : IClassFixture<LiveTrafficMesh.Portal>, IAsyncLifetime
{
    private LiveTrafficMesh? mesh;

    protected LiveTrafficMesh.Portal Portal { get; } = portal;

    protected LiveTrafficMesh Mesh => mesh ?? throw new InvalidOperationException("the mesh starts before the test");

    public async Task InitializeAsync() => mesh = await LiveTrafficMesh.StartAsync(Portal);

    public async Task DisposeAsync()
    {
        if (mesh is not null) await mesh.DisposeAsync();
    }
}
