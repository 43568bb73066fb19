using Meshwork.Model.Resources;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.ViewModels;

/// <summary>The pages' YAML editor over the real store: atomic, role-checked, audited with the person's name.</summary>
public sealed class YamlEditorTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private YamlEditorViewModel Editor(string email, params string[] roles) => new(
        portal.Services.GetRequiredService<IServiceScopeFactory>(),
        new CurrentUser(new TestAuthenticationStateProvider(email, roles), portal.Services.GetRequiredService<IAuthorizationService>()));

    private async Task<StoredResource?> StoredAsync(ResourceKind kind, string name)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(new ResourceKey(kind, "default", name));
    }

    private static string Route(string name, string service) => $"""
        kind: HttpRoute
        metadata:
          name: {name}
        parentRefs:
          - name: {service}
        rules:
          - backendRefs:
              - service: {service}
                version: v1
        """;

    [Fact]
    public async Task Apply_ServiceAndRoute_WritesBothAuditedAsThePerson()
    {
        var editor = Editor("olga@meshwork.test", "Operator");
        editor.Text = Samples.ServiceYaml("yaml-svc") + "\n---\n" + Route("yaml-route", "yaml-svc");

        var outcome = await editor.ApplyAsync();

        Assert.True(outcome.Succeeded, outcome.Message + string.Join("; ", outcome.Issues));
        Assert.NotNull(await StoredAsync(ResourceKind.Service, "yaml-svc"));
        Assert.NotNull(await StoredAsync(ResourceKind.HttpRoute, "yaml-route"));
        await using var scope = portal.Services.CreateAsyncScope();
        var entries = await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Name = "yaml-route" });
        Assert.Equal(("olga@meshwork.test", ChangeSource.Portal), (Assert.Single(entries).Actor, entries[0].Source));
        Assert.Contains("version: 1", editor.Text); // the editor now holds what was stored
    }

    [Fact]
    public async Task Apply_OneInvalidDocument_WritesNothingAndListsIssuesWithIndex()
    {
        var editor = Editor("olga@meshwork.test", "Operator");
        editor.Text = Samples.ServiceYaml("yaml-atomic") + "\n---\n" + Route("yaml-atomic-route", "no-such-service");

        var outcome = await editor.ApplyAsync();

        Assert.False(outcome.Succeeded);
        Assert.Contains(outcome.Issues, i => i.Path.StartsWith("[1].", StringComparison.Ordinal));
        Assert.Null(await StoredAsync(ResourceKind.Service, "yaml-atomic"));
    }

    [Fact]
    public async Task Apply_AccessPolicyAsOperator_IsDeniedAndWritesNothing()
    {
        var editor = Editor("olga@meshwork.test", "Operator");
        editor.Text = "kind: AccessPolicy\nmetadata:\n  name: yaml-deny\naction: deny\n";

        var outcome = await editor.ApplyAsync();

        Assert.False(outcome.Succeeded);
        Assert.Contains("role does not allow", outcome.Message);
        Assert.Null(await StoredAsync(ResourceKind.AccessPolicy, "yaml-deny"));
    }

    [Fact]
    public async Task Edit_ThenSomeoneElseChangesIt_ApplyIsAConflict_WithTheMergeChoice()
    {
        var editor = Editor("olga@meshwork.test", "Operator");
        editor.Text = Samples.ServiceYaml("yaml-stale", port: 1000);
        Assert.True((await editor.ApplyAsync()).Succeeded);
        editor.Edit((await StoredAsync(ResourceKind.Service, "yaml-stale"))!);
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
            var current = (Service)(await store.GetAsync(new ResourceKey(ResourceKind.Service, "default", "yaml-stale")))!.Resource;
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(current with { Port = 3000 }, new ChangeActor("someone-else", ChangeSource.Api)));
        }
        editor.Text = editor.Text.Replace("port: 1000", "port: 2000");

        var outcome = await editor.ApplyAsync();

        Assert.False(outcome.Succeeded);
        Assert.Contains("someone-else stored version 2 while you were editing", outcome.Message);
        Assert.Equal(3000, ((Service)(await StoredAsync(ResourceKind.Service, "yaml-stale"))!.Resource).Port);
        var conflict = Assert.IsType<EditConflict>(editor.Conflict);
        Assert.Equal(["port"], conflict.Merge.BothChanged);

        // Applying the merge stores theirs with my port (mine wins where both changed), at their version.
        Assert.True((await editor.ApplyMergedAsync()).Succeeded);
        var merged = (await StoredAsync(ResourceKind.Service, "yaml-stale"))!;
        Assert.Equal(2000, ((Service)merged.Resource).Port);
        Assert.Equal(3, merged.Resource.Metadata.Version);
        Assert.Null(editor.Conflict);
    }

    [Fact]
    public async Task FreeFormText_ThatIsStale_IsAPlainConflict_WithNothingToMerge()
    {
        var editor = Editor("olga@meshwork.test", "Operator");
        editor.Text = Samples.ServiceYaml("yaml-stale-free", port: 1000);
        Assert.True((await editor.ApplyAsync()).Succeeded);
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
            var current = (Service)(await store.GetAsync(new ResourceKey(ResourceKind.Service, "default", "yaml-stale-free")))!.Resource;
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(current with { Port = 3000 }, new ChangeActor("someone-else", ChangeSource.Api)));
        }
        // Two documents: no single loaded resource to merge against.
        editor.Text = editor.Text.Replace("port: 1000", "port: 2000") + "---\n" + Samples.ServiceYaml("yaml-stale-other", port: 1);

        var outcome = await editor.ApplyAsync();

        Assert.False(outcome.Succeeded);
        Assert.Contains("changed since you loaded it", outcome.Message);
        Assert.Null(editor.Conflict);
        Assert.Null(await StoredAsync(ResourceKind.Service, "yaml-stale-other"));
    }

    [Fact]
    public async Task ValidateOnly_WritesNothing()
    {
        var editor = Editor("olga@meshwork.test", "Operator");
        editor.Text = Samples.ServiceYaml("yaml-dry");
        var outcome = await editor.ApplyAsync(dryRun: true);
        Assert.True(outcome.Succeeded, outcome.Message);
        Assert.Null(await StoredAsync(ResourceKind.Service, "yaml-dry"));
    }
}
