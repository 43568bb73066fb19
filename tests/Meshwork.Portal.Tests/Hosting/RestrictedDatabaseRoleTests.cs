using System.Text;
using Meshwork.Model.Serialization;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Meshwork.Portal.Tests.Hosting;

/// <summary>
/// The portal as deployed with database roles (docs/security.md): the schema owner migrates
/// (`Meshwork.Portal migrate`), the portal runs as a login in meshwork_portal without migrating,
/// and its whole write path (identity, OpenIddict tokens, a resource and its audit entry) works;
/// the control plane's role cannot read the identity schema (password hashes, client secrets).
/// </summary>
public sealed class RestrictedDatabaseRoleTests : IAsyncLifetime
{
    private string ownerConnection = "";

    public async Task InitializeAsync() => ownerConnection = await MigratedDatabase.CreateAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task PortalRole_AfterTheOwnerMigrated_IssuesTokensStoresAndAuditsAChange_ControlPlaneRoleCannotReadIdentity()
    {
        // The owner's migration (what `Meshwork.Portal migrate` runs: DatabaseMigrations) as a portal that migrates on start.
        await using (var migrator = new PortalFactory { ConnectionString = ownerConnection })
            _ = migrator.Server;

        await using var portal = new PortalFactory
        {
            ConnectionString = await LoginAsync("meshwork_portal"),
            Settings = new Dictionary<string, string> { ["Portal:MigrateOnStart"] = "false" },
        };
        await ((IAsyncLifetime)portal).InitializeAsync();
        using var http = await portal.ApiClientAsync(PortalRoles.Operator);
        using var created = await http.PostAsync("/api/v1/services",
            new StringContent(MeshworkJson.Serialize(Samples.Service("role-check")), Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        await using (var scope = portal.Services.CreateAsyncScope())
            Assert.Single(await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Name = "role-check" }));

        var controlPlane = await LoginAsync("meshwork_control_plane");
        await using var connection = new NpgsqlConnection(controlPlane);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand($"SELECT count(*) FROM {PortalIdentityDbContext.Schema}.\"AspNetUsers\"", connection);
        var denied = await Assert.ThrowsAsync<PostgresException>(() => read.ExecuteScalarAsync());
        Assert.Equal("42501", denied.SqlState);
    }

    private async Task<string> LoginAsync(string groupRole)
    {
        var login = $"{groupRole}_{Guid.NewGuid():N}"[..40];
        await using var connection = new NpgsqlConnection(ownerConnection);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE ROLE {login} LOGIN IN ROLE {groupRole}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(ownerConnection) { Username = login }.ConnectionString;
    }
}
