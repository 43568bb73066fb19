using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The resource editor's error boundary against a real database failure: PostgreSQL refuses the
/// portal's connections while a person applies, the editor shows the error and a way back instead of
/// ending the circuit, nothing is stored, and once the database is back the editor reloads.
/// Own class (and so its own database): the test cuts that database off.
/// </summary>
public sealed class EditorErrorBoundaryTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ADatabaseFailureWhileApplying_ShowsTheError_KeepsTheCircuit_StoresNothing_AndTheEditorReloads()
    {
        var key = await ResourceFormTests.SeedRouteAsync(portal, "boundary");
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = ResourceFormTests.Render(context, key);
        ResourceFormTests.Loaded(page);
        ResourceFormTests.Type(page, "rules[0].backendRefs[0].weight", "50");
        ResourceFormTests.Type(page, "rules[0].backendRefs[1].weight", "50");
        page.WaitForAssertion(() => Assert.False(page.Find("button[data-testid=form-review]").HasAttribute("disabled")), Wait);
        page.Find("button[data-testid=form-review]").Click();
        var apply = page.WaitForElement("button[data-testid=form-apply]", Wait);

        await AllowConnectionsAsync(false);
        try
        {
            apply.Click();
            page.WaitForAssertion(() => Assert.Contains("The editor stopped", page.Find("[data-testid=editor-error]").TextContent), Wait);
        }
        finally
        {
            await AllowConnectionsAsync(true);
        }

        // The circuit lives: the way back works, and the failed apply stored nothing.
        page.Find("[data-testid=editor-error] button").Click();
        ResourceFormTests.Loaded(page);
        Assert.Empty(page.FindAll("[data-testid=editor-error]"));
        await using var scope = portal.Services.CreateAsyncScope();
        var stored = (HttpRoute)(await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(key))!.Resource;
        Assert.Equal([90, 10], stored.Rules[0].BackendRefs.Select(b => b.Weight));
    }

    /// <summary>Cuts the portal's database off (refusing new connections and ending open ones), or lets it back.</summary>
    private async Task AllowConnectionsAsync(bool allowed)
    {
        var database = new NpgsqlConnectionStringBuilder(portal.ConnectionString).Database;
        var cluster = await PostgresCluster.SharedAsync();
        await using var admin = new NpgsqlConnection(cluster.ConnectionString());
        await admin.OpenAsync();
        await using (var alter = new NpgsqlCommand($"ALTER DATABASE \"{database}\" WITH ALLOW_CONNECTIONS {allowed}", admin))
            await alter.ExecuteNonQueryAsync();
        if (allowed)
        {
            // The portal's pooled connections (its one data source, shared by EF Core) were ended with the
            // database cut off; a fresh pool, as after a database restart.
            portal.Services.GetRequiredService<NpgsqlDataSource>().Clear();
            return;
        }
        await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", admin);
        terminate.Parameters.AddWithValue("db", database!);
        await terminate.ExecuteNonQueryAsync();
    }
}
