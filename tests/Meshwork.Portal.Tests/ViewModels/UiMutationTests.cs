using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.ViewModels;

/// <summary>The view-models the pages use, over the real store and authorization policies of a running portal.</summary>
public sealed class UiMutationTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private CurrentUser UserWith(string email, params string[] roles) =>
        new(new TestAuthenticationStateProvider(email, roles), portal.Services.GetRequiredService<IAuthorizationService>());

    private ServicesViewModel Services(string email, params string[] roles) =>
        new(portal.Services.GetRequiredService<IServiceScopeFactory>(), UserWith(email, roles));

    private AuditViewModel Audit(string email, params string[] roles) =>
        new(portal.Services.GetRequiredService<IServiceScopeFactory>(), UserWith(email, roles));

    private async Task<IReadOnlyList<AuditEntry>> AuditForAsync(string name)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Name = name });
    }

    private async Task<StoredResource?> StoredAsync(string name)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(new ResourceKey(ResourceKind.Service, "default", name));
    }

    [Fact]
    public async Task CreateService_AsOperator_StoresItWithOneAuditEntryNamingThePerson()
    {
        var model = Services("olga@meshwork.test", "Operator");
        var outcome = await model.CreateAsync(new ServiceForm { Name = "ui-create", Port = 8081, Versions = "v1, v2" });

        Assert.True(outcome.Succeeded, outcome.Message);
        Assert.Contains(model.Services, s => s.Resource.Metadata.Name == "ui-create");
        var entry = Assert.Single(await AuditForAsync("ui-create"));
        Assert.Equal("olga@meshwork.test", entry.Actor);
        Assert.Equal(ChangeSource.Portal, entry.Source);
        Assert.Equal(ChangeAction.Create, entry.Action);
        var after = Assert.IsType<Service>(MeshworkJson.Deserialize(entry.AfterJson!));
        Assert.Equal(8081, after.Port);
        Assert.Equal(["v1", "v2"], after.Versions.Select(v => v.Name));
    }

    [Fact]
    public async Task CreateService_AsViewer_IsDeniedAndWritesNothing()
    {
        var outcome = await Services("vera@meshwork.test", "Viewer").CreateAsync(new ServiceForm { Name = "ui-viewer" });
        Assert.False(outcome.Succeeded);
        Assert.Contains("role does not allow", outcome.Message);
        Assert.Null(await StoredAsync("ui-viewer"));
    }

    [Fact]
    public async Task CreateService_Invalid_ShowsValidatorIssuesAndWritesNothing()
    {
        var outcome = await Services("olga@meshwork.test", "Operator").CreateAsync(new ServiceForm { Name = "ui-invalid", Port = 0 });
        Assert.False(outcome.Succeeded);
        Assert.Contains(outcome.Issues, i => i.Path.EndsWith("port", StringComparison.Ordinal));
        Assert.Empty(await AuditForAsync("ui-invalid"));
    }

    [Fact]
    public async Task DeleteService_AsOperator_AuditsDeleteWithBeforeContent()
    {
        var model = Services("olga@meshwork.test", "Operator");
        Assert.True((await model.CreateAsync(new ServiceForm { Name = "ui-delete" })).Succeeded);
        var stored = model.Services.Single(s => s.Resource.Metadata.Name == "ui-delete");

        var outcome = await model.DeleteAsync(stored);

        Assert.True(outcome.Succeeded, outcome.Message);
        var newest = (await AuditForAsync("ui-delete"))[0];
        Assert.Equal(ChangeAction.Delete, newest.Action);
        Assert.Equal("olga@meshwork.test", newest.Actor);
        Assert.NotNull(newest.BeforeJson);
        Assert.Null(newest.AfterJson);
    }

    [Fact]
    public async Task RevertFromAuditPage_RestoresExactEarlierContent_AndIsAudited()
    {
        var services = Services("olga@meshwork.test", "Operator");
        Assert.True((await services.CreateAsync(new ServiceForm { Name = "ui-revert", Port = 1111, Description = "first", Versions = "v1, v2" })).Succeeded);
        var first = (await StoredAsync("ui-revert"))!.Resource;
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
            var changed = ((Service)first) with { Port = 2222, Description = "second", Versions = [] };
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(changed, new ChangeActor("someone-else", ChangeSource.Api)));
        }

        var audit = Audit("ada@meshwork.test", "Admin");
        audit.Filter.Name = "ui-revert";
        await audit.LoadAsync();
        var createEntry = audit.Entries.Single(e => e.Action == ChangeAction.Create);
        var outcome = await audit.RevertToAsync(createEntry);

        Assert.True(outcome.Succeeded, outcome.Message);
        var reverted = (await StoredAsync("ui-revert"))!.Resource;
        Assert.Equal(3, reverted.Metadata.Version);
        Assert.Equal(MeshworkJson.Canonical(first with { Metadata = first.Metadata with { Version = 3 } }), MeshworkJson.Canonical(reverted));
        var newest = (await AuditForAsync("ui-revert"))[0];
        Assert.Equal(ChangeAction.Revert, newest.Action);
        Assert.Equal("ada@meshwork.test", newest.Actor);
        Assert.Equal(ChangeSource.Portal, newest.Source);
    }

    [Fact]
    public async Task RevertFromAuditPage_ChangedSincePageLoaded_IsRefusedWithMessage()
    {
        var services = Services("olga@meshwork.test", "Operator");
        Assert.True((await services.CreateAsync(new ServiceForm { Name = "ui-revert-stale", Port = 1111 })).Succeeded);
        async Task ChangePortAsync(int port)
        {
            await using var scope = portal.Services.CreateAsyncScope();
            var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
            var current = (await store.GetAsync(new ResourceKey(ResourceKind.Service, "default", "ui-revert-stale")))!.Resource;
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(((Service)current) with { Port = port }, new ChangeActor("someone-else", ChangeSource.Api)));
        }
        await ChangePortAsync(2222);
        var audit = Audit("ada@meshwork.test", "Admin");
        audit.Filter.Name = "ui-revert-stale";
        await audit.LoadAsync();
        var createEntry = audit.Entries.Single(e => e.Action == ChangeAction.Create);
        Assert.True(audit.CanRevertTo(createEntry));
        Assert.False(audit.CanRevertTo(audit.Entries.Single(e => e.Action == ChangeAction.Update))); // already current

        await ChangePortAsync(3333); // someone else, after the page loaded
        var outcome = await audit.RevertToAsync(createEntry);

        Assert.False(outcome.Succeeded);
        Assert.Contains("changed since this page was loaded", outcome.Message);
        Assert.Equal(3333, ((Service)(await StoredAsync("ui-revert-stale"))!.Resource).Port);
        Assert.Equal(3, (await AuditForAsync("ui-revert-stale")).Count);
    }

    [Fact]
    public async Task SaveSettings_AsOperator_IsDenied_AsAdmin_SavesDefaultDeny()
    {
        var scopes = portal.Services.GetRequiredService<IServiceScopeFactory>();
        var asOperator = new SettingsViewModel(scopes, UserWith("olga@meshwork.test", "Operator"));
        await asOperator.LoadAsync();
        Assert.False(asOperator.CanEdit);
        Assert.False((await asOperator.SaveAsync(asOperator.Settings with { DefaultAccessMode = AccessMode.DefaultDeny })).Succeeded);

        var asAdmin = new SettingsViewModel(scopes, UserWith("ada@meshwork.test", "Admin"));
        await asAdmin.LoadAsync();
        var outcome = await asAdmin.SaveAsync(asAdmin.Settings with { DefaultAccessMode = AccessMode.DefaultDeny });

        Assert.True(outcome.Succeeded, outcome.Message + string.Join(";", outcome.Issues));
        Assert.Equal(AccessMode.DefaultDeny, asAdmin.Settings.DefaultAccessMode);
        Assert.True(asAdmin.IsStored);
    }
}
