using Bunit;
using Meshwork.Portal.Components.Pages;
using Meshwork.Portal.Deployments;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The Fleet page's deployments by role, over a real <see cref="LocalProcessDriver"/> whose state folder
/// holds one stopped instance (so nothing runs until the operator starts it) and the real store.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FleetDeploymentsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed class Context : PortalComponentTest
    {
        public Context(PortalFactory portal, string user, string[] policies, LocalProcessDriver driver) : base(portal, user, policies) =>
            Services.AddSingleton<IDeploymentDriver>(driver);
    }

    [Fact]
    public async Task Viewer_SeesTheDeployments_ButNoActions()
    {
        await using var fleet = await StoppedFleetAsync();
        await using var context = new Context(portal, "vera@meshwork.test", [PortalPolicies.Read], fleet.Driver);

        var page = context.Render<Fleet>();

        page.WaitForAssertion(() => Assert.Contains("kilo-v1-1", page.Find("[data-testid=deployments-table]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal("stopped", page.Find("[data-testid=deployment-state]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=instance-start]"));
        Assert.Empty(page.FindAll("[data-testid=instance-stop]"));
        Assert.Empty(page.FindAll("[data-testid=deploy-version]"));
        Assert.Empty(page.FindAll("[data-testid=workload-scale]"));
        Assert.NotEmpty(page.FindAll("[data-testid=instance-logs]"));
    }

    [Fact]
    public async Task Operator_StartsAStoppedInstance_AuditedAsThem()
    {
        await using var fleet = await StoppedFleetAsync();
        await using var context = new Context(portal, "otto@meshwork.test", [PortalPolicies.Read, PortalPolicies.EditTraffic], fleet.Driver);

        var page = context.Render<Fleet>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=instance-start]")), TimeSpan.FromSeconds(10));
        Assert.NotEmpty(page.FindAll("[data-testid=deploy-version]"));
        Assert.NotEmpty(page.FindAll("[data-testid=workload-scale]"));

        await page.Find("[data-testid=instance-start]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.NotEqual("stopped", page.Find("[data-testid=deployment-state]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        await using var db = MigratedDatabase.OpenSession(portal.ConnectionString);
        var start = Assert.Single(await new AuditLog(db).QueryAsync(new AuditQuery { Action = ChangeAction.Start, Name = "kilo-v1-1" }));
        Assert.Equal(("otto@meshwork.test", ChangeSource.Portal), (start.Actor, start.Source));
    }

    /// <summary>A driver over a fresh state folder holding one stopped instance of kilo v1; disposing stops whatever it started.</summary>
    private async Task<StoppedFleet> StoppedFleetAsync()
    {
        var state = Directory.CreateTempSubdirectory("meshwork-fleet-page-").FullName;
        var spec = new InstanceSpec
        {
            Id = "kilo-v1-1", Role = "backend", Namespace = "default", Service = "kilo", Version = "v1", Index = 1,
            AppPort = 32701, AdminPort = 32702, InboundPort = 32703, OutboundPort = 32704, Running = false,
        };
        LocalInstance.Prepare(spec, Path.Combine(state, spec.Id), joinToken: "");
        var options = new FleetOptions { ProxyPath = AppContext.BaseDirectory, DemoAppsPath = AppContext.BaseDirectory, StateDirectory = state };
        // No control plane: the sidecar of a started instance keeps trying to join; the test only looks at the start.
        var binaries = LocalFleetBinaries.From(options, new Meshwork.Portal.Hosting.ControlPlaneLinkOptions
            { Address = "https://127.0.0.1:9", TrustBundleFile = Path.Combine(state, "no-trust-bundle.pem") });
        var services = new ServiceCollection().AddMeshworkStore(portal.ConnectionString).BuildServiceProvider();
        var driver = new LocalProcessDriver(options, binaries, services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System, NullLogger<LocalProcessDriver>.Instance);
        await driver.StartAsync(CancellationToken.None);
        return new StoppedFleet(driver, services, state);
    }

    private sealed record StoppedFleet(LocalProcessDriver Driver, ServiceProvider Services, string State) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Driver.StopAsync(CancellationToken.None);
            Driver.Dispose();
            await Services.DisposeAsync();
            Directory.Delete(State, recursive: true);
        }
    }
}
