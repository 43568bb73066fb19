using System.Globalization;
using System.Security.Cryptography;
using Meshwork.Model.Resources;
using Meshwork.Portal.Deployments;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Tests.Infrastructure;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// A real mesh for the fleet driver: PostgreSQL, a control plane process, and the portal configured
/// with Portal:Fleet pointing at the proxy and demo apps built beside the tests (their dlls are copied
/// here by the project references), so the portal's own driver starts real processes.
/// </summary>
public sealed class FleetMesh : IAsyncLifetime
{
    public const string StatusToken = "fleet-test-status-token";

    // Each mesh its own block of the Portal:Fleet port range: test classes run in parallel, and a port one
    // driver freed while a killed sidecar waits out its restart backoff must not be handed to another driver.
    private const int PortBlockSize = 150, PortBlocks = 4, PortRangeBase = 32100;
    private static int meshesMade;
    private readonly int portRangeStart = PortRangeBase + (Interlocked.Increment(ref meshesMade) % PortBlocks) * PortBlockSize;
    private int PortRangeEnd => portRangeStart + PortBlockSize - 1;
    private readonly string folder = Directory.CreateTempSubdirectory("meshwork-fleet-").FullName;
    private readonly string? controlPlaneListenAddress;
    private ChildProcess? controlPlane;

    public FleetMesh() : this(controlPlaneListenAddress: null)
    {
    }

    /// <param name="controlPlaneListenAddress">The control plane's ControlPlane:ListenAddress; null: its loopback default.</param>
    internal FleetMesh(string? controlPlaneListenAddress)
    {
        this.controlPlaneListenAddress = controlPlaneListenAddress;
        StateDirectory = Path.Combine(folder, "fleet");
        TrustBundleFile = Path.Combine(folder, "trust-bundle.pem");
        Portal = new PortalFactory { Settings = Settings(StateDirectory, keepRunning: false) };
    }

    public PortalFactory Portal { get; }
    public int GrpcPort { get; } = FreePort.Next();
    public string ControlPlaneAddress => $"https://127.0.0.1:{GrpcPort}";
    public string TrustBundleFile { get; }
    public string StateDirectory { get; }

    /// <summary>The control plane's CA key seal: a second replica over the same database needs the same one.</summary>
    public string CaKeyEncryptionKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Portal:Fleet settings over <paramref name="stateDirectory"/>; ports from this mesh's own block, above the test's FreePort range (20000-32000).</summary>
    public Dictionary<string, string> Settings(string stateDirectory, bool keepRunning) => new()
    {
        ["Portal:ControlPlane:Address"] = ControlPlaneAddress,
        ["Portal:ControlPlane:StatusToken"] = StatusToken,
        ["Portal:ControlPlane:TrustBundleFile"] = TrustBundleFile,
        ["Portal:Fleet:ProxyPath"] = AppContext.BaseDirectory,
        ["Portal:Fleet:DemoAppsPath"] = AppContext.BaseDirectory,
        ["Portal:Fleet:StateDirectory"] = stateDirectory,
        ["Portal:Fleet:PortRangeStart"] = portRangeStart.ToString(CultureInfo.InvariantCulture),
        ["Portal:Fleet:PortRangeEnd"] = PortRangeEnd.ToString(CultureInfo.InvariantCulture),
        ["Portal:Fleet:KeepRunningOnShutdown"] = keepRunning ? "true" : "false",
    };

    public async Task InitializeAsync()
    {
        Portal.ConnectionString = await MigratedDatabase.CreateAsync();
        var httpPort = FreePort.Next();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Meshwork"] = Portal.ConnectionString,
            ["ControlPlane__GrpcPort"] = GrpcPort.ToString(CultureInfo.InvariantCulture),
            ["ControlPlane__HttpPort"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["ControlPlane__StatusToken"] = StatusToken,
            ["ControlPlane__CaKeyEncryptionKey"] = CaKeyEncryptionKey,
            ["ControlPlane__TrustBundleFile"] = TrustBundleFile,
        };
        if (controlPlaneListenAddress is not null) environment["ControlPlane__ListenAddress"] = controlPlaneListenAddress;
        controlPlane = ChildProcess.Start("Meshwork.ControlPlane", [], environment, name: "control-plane");
        await controlPlane.WaitForHttpOkAsync($"http://127.0.0.1:{httpPort}/health");
        await Portal.InitializeAsync();
    }

    /// <summary>
    /// A driver of its own over <paramref name="stateDirectory"/> (not the portal's), as a restarted portal would
    /// make one; it runs the control plane replicas too when <paramref name="controlPlanes"/> is given, and each
    /// instance in its own network namespace with <paramref name="networkNamespaces"/> enabled.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public LocalProcessDriver NewDriver(string stateDirectory, bool keepRunning, ManagedControlPlaneOptions? controlPlanes = null,
        NetworkNamespaceOptions? networkNamespaces = null)
    {
        var settings = Settings(stateDirectory, keepRunning);
        var options = new FleetOptions
        {
            ProxyPath = settings["Portal:Fleet:ProxyPath"], DemoAppsPath = settings["Portal:Fleet:DemoAppsPath"], StateDirectory = stateDirectory,
            PortRangeStart = portRangeStart, PortRangeEnd = PortRangeEnd, KeepRunningOnShutdown = keepRunning,
            Local = new LocalFleetOptions { NetworkNamespaces = networkNamespaces ?? new NetworkNamespaceOptions() },
        };
        var link = new ControlPlaneLinkOptions { Address = ControlPlaneAddress, TrustBundleFile = TrustBundleFile, StatusToken = StatusToken };
        return new LocalProcessDriver(options, LocalFleetBinaries.From(options, link), Portal.Services.GetRequiredService<IServiceScopeFactory>(),
            TimeProvider.System, NullLogger<LocalProcessDriver>.Instance,
            controlPlanes is null ? null : ManagedControlPlanes.From(controlPlanes, link, auditSealKey: null));
    }

    public IDeploymentDriver Driver => (IDeploymentDriver)Portal.Services.GetService(typeof(IDeploymentDriver))!;

    /// <summary>Declares a service with versions (and optionally a route sending everything to the first), as an operator would.</summary>
    public async Task DeclareAsync(string service, IReadOnlyList<string> versions, bool routeToFirst = false)
    {
        await using var db = MigratedDatabase.OpenSession(Portal.ConnectionString);
        var store = new ResourceService(db, TimeProvider.System);
        var actor = new ChangeActor("fleet-test", ChangeSource.Api);
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new Service
        {
            Metadata = new ResourceMetadata { Name = service },
            Versions = [.. versions.Select(v => new ServiceVersion { Name = v })],
        }, actor));
        if (routeToFirst)
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(Route(service, [(versions[0], 100)], version: 0), actor));
    }

    /// <summary>A route on <paramref name="service"/> splitting by version; <paramref name="version"/> is the stored one it replaces (0 creates).</summary>
    public static HttpRoute Route(string service, IReadOnlyList<(string Version, int Weight)> split, long version) => new()
    {
        Metadata = new ResourceMetadata { Name = service, Version = version },
        ParentRefs = [new ParentRef { Name = service }],
        Rules = [new HttpRouteRule { BackendRefs = [.. split.Select(s => new BackendRef { Service = service, Version = s.Version, Weight = s.Weight })] }],
    };

    /// <summary>
    /// A caller outside the driver: a sidecar with no app, joined with a wildcard token (to this mesh's control
    /// plane, or to <paramref name="controlPlaneAddress"/>), whose outbound listener the test sends through.
    /// </summary>
    public async Task<MeshProxy> CallerAsync(string id, string? controlPlaneAddress = null)
    {
        string token;
        await using (var db = MigratedDatabase.OpenSession(Portal.ConnectionString))
            token = (await new BootstrapTokenService(db, TimeProvider.System).IssueAsync("fleet-test caller", "*", "default", TimeSpan.FromHours(1),
                new ChangeActor("fleet-test", ChangeSource.System), allowWildcard: true)).Secret;
        return await MeshProxy.StartAsync([controlPlaneAddress ?? ControlPlaneAddress], TrustBundleFile, token, id, id, "v1", appAddress: null);
    }

    public async Task DisposeAsync()
    {
        // The portal first: its shutdown stops the processes its driver started, while the control plane still hears their Goodbye.
        await ((IAsyncLifetime)Portal).DisposeAsync();
        if (controlPlane is not null) await controlPlane.DisposeAsync();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
