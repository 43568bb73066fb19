using Meshwork.Model.Resources;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Tcp;
using Microsoft.Playwright;

namespace Meshwork.E2E;

/// <summary>
/// A real mesh for a journey: portal and control plane processes on real PostgreSQL with the given
/// desired state, demo backends of "shop" behind their sidecars, a caller's sidecar ("web"), and
/// Chromium to drive the portal as the admin.
/// </summary>
public sealed class DemoMesh : IAsyncDisposable
{
    public const string AdminEmail = "admin@meshwork.e2e";
    private const string AdminPassword = "E2e-Admin-Passw0rd!";
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);
    public static readonly float WaitMs = (float)Converge.TotalMilliseconds;

    private readonly List<IAsyncDisposable> running = [];
    private IPlaywright? playwright;
    private IBrowser? browser;

    private DemoMesh()
    {
    }

    public string Screenshots { get; } = Environment.GetEnvironmentVariable("MESHWORK_E2E_SCREENSHOTS")
        ?? Path.Combine(Path.GetTempPath(), "meshwork-e2e-screenshots");

    public MeshworkProcess Portal { get; private set; } = null!;
    public MeshworkProcess ControlPlane { get; private set; } = null!;

    /// <summary>The CA bundle proxies trust the control plane with, and a bootstrap token for namespace "default": what another proxy needs to join.</summary>
    public string TrustBundle { get; private set; } = null!;

    public string ProxyToken { get; private set; } = null!;

    /// <summary>The sidecar of "web" (no app of its own): requests through it are the mesh's real traffic.</summary>
    public MeshProxy Caller { get; private set; } = null!;

    /// <summary>A running sidecar by proxy id (e.g. "shop-v1-1"), to stop it in a journey.</summary>
    public MeshProxy Sidecar(string proxyId) => running.OfType<MeshProxy>().Single(p => p.Id == proxyId);

    /// <summary>The web caller and the shop in two versions, every request to v1 and v2 deployed at 0 %: start with shop versions v1 and v2.</summary>
    public static IReadOnlyList<Resource> ShopOnV1WithV2Idle() =>
    [
        new Service { Metadata = new ResourceMetadata { Name = "web" }, Versions = [new ServiceVersion { Name = "v1" }] },
        new Service { Metadata = new ResourceMetadata { Name = "shop" }, Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }] },
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "shop" },
            ParentRefs = [new ParentRef { Name = "shop" }],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "shop", Version = "v1", Weight = 100 }, new BackendRef { Service = "shop", Version = "v2", Weight = 0 }] }],
        },
    ];

    /// <summary>The demo backend of "shop" at <paramref name="version"/>, to turn its error and latency knobs in a journey.</summary>
    public DemoBackendProcess ShopBackend(string version) => running.OfType<DemoBackendProcess>().Single(b => b.Version == version);

    /// <param name="seed">Desired state stored before the control plane starts.</param>
    /// <param name="shopVersions">One demo backend of "shop" per version (instance "shop-VERSION-a"), each behind a sidecar.</param>
    public static Task<DemoMesh> StartAsync(IReadOnlyList<Resource> seed, params string[] shopVersions) =>
        StartAsync(seed, new Dictionary<string, string>(), shopVersions);

    /// <param name="portalSettings">Extra portal settings as environment variables (e.g. Portal__Fleet__ProxyPath).</param>
    public static async Task<DemoMesh> StartAsync(IReadOnlyList<Resource> seed, IReadOnlyDictionary<string, string> portalSettings, params string[] shopVersions)
    {
        var mesh = new DemoMesh();
        try
        {
            await mesh.StartProcessesAsync(seed, portalSettings, shopVersions);
            return mesh;
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcessesAsync(IReadOnlyList<Resource> seed, IReadOnlyDictionary<string, string> portalSettings, string[] shopVersions)
    {
        var connectionString = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync();
        var grpcPort = FreePort.Next();
        TrustBundle = Path.Combine(Path.GetTempPath(), $"meshwork-e2e-{Guid.NewGuid():N}-trust-bundle.pem");
        Portal = await MeshworkProcess.StartPortalAsync(connectionString, AdminEmail, AdminPassword, $"https://127.0.0.1:{grpcPort}", TrustBundle, portalSettings);
        running.Add(Portal);
        await SeedAsync(connectionString, seed);
        ControlPlane = await MeshworkProcess.StartControlPlaneAsync(connectionString, grpcPort, TrustBundle);
        running.Add(ControlPlane);

        ProxyToken = await IssueTokenAsync(connectionString);
        foreach (var version in shopVersions)
        {
            var backend = await DemoBackendProcess.StartAsync("shop", version, $"shop-{version}-a");
            running.Add(backend);
            running.Add(await MeshProxy.StartAsync([ControlPlane.Url], TrustBundle, ProxyToken, $"shop-{version}-1", "shop", version, backend.Address));
        }
        Caller = await MeshProxy.StartAsync([ControlPlane.Url], TrustBundle, ProxyToken, "web-1", "web", "v1", appAddress: null);
        running.Add(Caller);

        playwright = await Playwright.CreateAsync();
        browser = await Chromium.LaunchAsync(playwright);
        Directory.CreateDirectory(Screenshots);
    }

    /// <summary>
    /// A TCP app (<see cref="TcpEchoBackend"/>: greets with its version, then echoes) of <paramref name="service"/> at
    /// <paramref name="version"/> behind its own sidecar (proxy "SERVICE-VERSION-1"), for journeys over TcpRoutes.
    /// </summary>
    public async Task<MeshProxy> StartTcpEchoAsync(string service, string version)
    {
        var echo = new TcpEchoBackend(version);
        running.Add(echo);
        var sidecar = await MeshProxy.StartAsync([ControlPlane.Url], TrustBundle, ProxyToken, $"{service}-{version}-1", service, version, echo.Address);
        running.Add(sidecar);
        return sidecar;
    }

    private static async Task SeedAsync(string connectionString, IReadOnlyList<Resource> seed)
    {
        await using var db = MigratedDatabase.OpenSession(connectionString);
        var store = new ResourceService(db, TimeProvider.System);
        var actor = new ChangeActor("e2e-seed", ChangeSource.Api);
        foreach (var resource in seed)
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(resource, actor));
    }

    private static async Task<string> IssueTokenAsync(string connectionString)
    {
        await using var db = MigratedDatabase.OpenSession(connectionString);
        var issued = await new BootstrapTokenService(db, TimeProvider.System)
            .IssueAsync("e2e-mesh", "*", "default", TimeSpan.FromHours(1), new ChangeActor("e2e", ChangeSource.System), allowWildcard: true);
        return issued.Secret;
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
        for (var i = running.Count - 1; i >= 0; i--) await running[i].DisposeAsync();
    }

    public async Task<(IPage Page, List<string> ConsoleErrors)> NewPageAsync()
    {
        var context = await browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(Chromium.Patience);
        var consoleErrors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") consoleErrors.Add(message.Text); };
        return (page, consoleErrors);
    }

    /// <summary>Opens a page as the admin: the portal sends the browser to sign in and back, then the circuit goes live.</summary>
    public async Task SignInAsync(IPage page, string path)
    {
        await page.GotoAsync(Portal.Url + path);
        await page.FillAsync("#email", AdminEmail);
        await page.FillAsync("#password", AdminPassword);
        await page.ClickAsync("button[type=submit]");
        await page.Locator("[data-interactive=true]").WaitForAsync();
    }

    /// <summary>Which instance answered each of <paramref name="count"/> requests to http://shop/ through the caller's sidecar (its x-served-by).</summary>
    public async Task<Dictionary<string, int>> CountServedByAsync(int count)
    {
        using var client = Caller.OutboundClient();
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            string servedBy;
            try
            {
                using var response = await client.GetAsync("http://shop/");
                servedBy = response.Headers.TryGetValues("x-served-by", out var values) ? values.First() : $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                servedBy = e.GetBaseException().Message;
            }
            counts[servedBy] = counts.GetValueOrDefault(servedBy) + 1;
        }
        return counts;
    }

    /// <summary>Real requests to http://shop/ through the caller's sidecar until <paramref name="ct"/> ends: the traffic pages and rollouts see.</summary>
    public async Task CallerTrafficAsync(CancellationToken ct)
    {
        using var client = Caller.OutboundClient();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync("http://shop/", ct);
                await Task.Delay(20, ct);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // Only what the pages and counted requests show is asserted.
            }
        }
    }

    public string ScreenshotPath(string name) => Path.Combine(Screenshots, name + ".png");

    public async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath(name), FullPage = true });

    /// <summary>
    /// A failed journey's exception, after a screenshot named <paramref name="journey"/>-failure: where to look
    /// (screenshot, logs, and whatever else the journey knows, in <paramref name="detail"/>).
    /// </summary>
    public async Task<Exception> JourneyFailedAsync(IPage page, string journey, Exception failure, string? detail = null)
    {
        await ScreenshotAsync(page, journey + "-failure");
        return new InvalidOperationException($"journey failed: {failure.Message}\nscreenshot {ScreenshotPath(journey + "-failure")}, " +
            $"portal log {Portal.LogPath}, control plane log {ControlPlane.LogPath}" + (detail is null ? "" : "\n" + detail), failure);
    }
}
