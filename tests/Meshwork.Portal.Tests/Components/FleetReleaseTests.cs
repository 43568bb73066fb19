using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Components.Pages;
using Meshwork.Portal.Deployments;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Tests.Deployments;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// Deploying a version from the Fleet page and what follows in the store: the version declared on its
/// Service and a rollout from a template, with the portal's real driver starting real processes that join
/// a real control plane (<see cref="FleetMesh"/>), the real store and the product's view models.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FleetReleaseTests(FleetMesh mesh) : IClassFixture<FleetMesh>
{
    private const string Operator = "otto@meshwork.test";
    private static readonly string[] OperatorPolicies = [PortalPolicies.Read, PortalPolicies.EditTraffic];

    private sealed class Context : PortalComponentTest
    {
        public Context(FleetMesh mesh, string user, string[] policies) : base(mesh.Portal, user, policies) =>
            Services.AddSingleton(mesh.Driver);
    }

    [Fact]
    public async Task DeployingV2WithATemplate_DeclaresV2OnTheService_AndStoresTheTemplatesRollout_AuditedAsTheUser()
    {
        await mesh.DeclareAsync("hotel", ["v1"]);
        await using var context = new Context(mesh, Operator, OperatorPolicies);
        var fleet = context.Services.GetRequiredService<FleetViewModel>();
        await fleet.LoadAsync();
        var template = RolloutTemplates.Find("canary-20-50-approve-100")!;
        var progress = new List<string>();

        var result = await fleet.ReleaseAsync(new DeployRequest("hotel", "v2", 1), new RolloutChoice(template, "v1"), new SynchronousProgress(progress));

        Assert.True(result.Succeeded, string.Join(" | ", [.. result.Deploy.Errors, .. progress]));
        Assert.Contains("Declared v2 on service hotel.", progress);
        Assert.Contains(progress, line => line.StartsWith("Started rollout default/hotel-v2", StringComparison.Ordinal));
        await using var db = MigratedDatabase.OpenSession(mesh.Portal.ConnectionString);
        var store = new ResourceService(db, TimeProvider.System);
        var service = Assert.IsType<Service>((await store.GetAsync(new ResourceKey(ResourceKind.Service, "default", "hotel")))!.Resource);
        Assert.Equal(["v1", "v2"], service.Versions.Select(v => v.Name));
        Assert.Equal("v2", service.Versions[1].Labels["version"]);
        var rollout = Assert.IsType<Rollout>((await store.GetAsync(new ResourceKey(ResourceKind.Rollout, "default", "hotel-v2")))!.Resource);
        Assert.Equal(("hotel", "v1", "v2"), (rollout.Service, rollout.StableVersion, rollout.CanaryVersion));
        Assert.Equal(template.Steps, rollout.Steps);
        Assert.Null(rollout.Steps[2].Pause!.Duration); // the manual approval before 100 %
        var audit = new AuditLog(db);
        var declared = Assert.Single(await audit.QueryAsync(new AuditQuery { Kind = ResourceKind.Service, Name = "hotel", Action = ChangeAction.Update }));
        var started = Assert.Single(await audit.QueryAsync(new AuditQuery { Kind = ResourceKind.Rollout, Name = "hotel-v2" }));
        Assert.All([declared, started], entry => Assert.Equal((Operator, ChangeSource.Portal), (entry.Actor, entry.Source)));
        Assert.Equal("/rollouts#rollout-default-hotel-v2", FleetRelease.RolloutLink("hotel", "v2"));

        // Deploying another instance of v2 leaves the declaration as it is.
        Assert.True((await context.Services.GetRequiredService<FleetRelease>().DeclareVersionAsync("hotel", "v2")).Succeeded);
        Assert.Single(await audit.QueryAsync(new AuditQuery { Kind = ResourceKind.Service, Name = "hotel", Action = ChangeAction.Update }));
    }

    [Fact]
    public async Task DeclaringOnAServiceThatDoesNotExist_SaysSo_AndStoresNothing()
    {
        await using var context = new Context(mesh, Operator, OperatorPolicies);

        var outcome = await context.Services.GetRequiredService<FleetRelease>().DeclareVersionAsync("india", "v2");

        Assert.False(outcome.Succeeded);
        Assert.Contains("Service default/india does not exist", outcome.Message);
        await using var db = MigratedDatabase.OpenSession(mesh.Portal.ConnectionString);
        Assert.Null(await new ResourceService(db, TimeProvider.System).GetAsync(new ResourceKey(ResourceKind.Service, "default", "india")));
    }

    [Fact]
    public async Task TheDeployDialog_OffersTheTemplates_ToARoleThatMayWriteRollouts()
    {
        await mesh.DeclareAsync("juliet", ["v1"]);
        await using var context = new Context(mesh, Operator, OperatorPolicies);
        var page = context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<MudDialogProvider>(1);
            b.CloseComponent();
            b.OpenComponent<Fleet>(2);
            b.CloseComponent();
        });

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=deploy-version]")), TimeSpan.FromSeconds(10));
        // Not awaited: the click's handler awaits the dialog's result, which comes only when the dialog closes.
        _ = page.Find("[data-testid=deploy-version]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=deploy-dialog]")), TimeSpan.FromSeconds(10));
        Assert.NotEmpty(page.FindAll("[data-testid=deploy-rollout-none]"));
        foreach (var template in RolloutTemplates.All)
            Assert.Contains(template.Title, page.Find("[data-testid=deploy-dialog]").TextContent);
    }

    [Fact]
    public async Task AViewer_IsNotOfferedARollout_AndCannotStartOne()
    {
        await mesh.DeclareAsync("kilo", ["v1", "v2"]);
        await using var context = new Context(mesh, "vera@meshwork.test", [PortalPolicies.Read]);
        var release = context.Services.GetRequiredService<FleetRelease>();

        Assert.False(await release.CanStartRolloutAsync());
        var outcome = await release.StartRolloutAsync(RolloutTemplates.All[0], "kilo", "v1", "v2");

        Assert.False(outcome.Succeeded);
        await using var db = MigratedDatabase.OpenSession(mesh.Portal.ConnectionString);
        Assert.Null(await new ResourceService(db, TimeProvider.System).GetAsync(new ResourceKey(ResourceKind.Rollout, "default", "kilo-v2")));
    }
}
