using Meshwork.Testing.Postgres;
using Npgsql;
using static Meshwork.Store.Tests.TestResources;

namespace Meshwork.Store.Tests;

/// <summary>
/// The restricted roles the migrations grant to (docs/security.md, "Database roles"), used through
/// login roles made members of them, as the launcher and a DBA would: the portal writes desired
/// state and appends to the audit log but can neither rewrite the log nor switch its trigger off
/// nor read the CA; the control plane reads desired state, writes its own tables and makes the
/// rollout controller's audited content changes, but can neither rename nor delete a resource nor rewrite the log.
/// </summary>
public sealed class DatabaseRolesTests : StoreDatabase
{
    private const string PermissionDenied = "42501";

    [Fact]
    public async Task Portal_WritesDesiredStateAndAudit_ButCannotRewriteTheLogDisableItsTriggerOrReadTheCa()
    {
        var portal = await LoginAsync("meshwork_portal");
        await using (var db = MeshworkDbContext.Open(portal))
            Assert.IsType<ChangeResult.Applied>(await ServiceOver(db).ApplyAsync(Checkout(), Alice));
        Assert.Equal(1L, await ScalarAsync(portal, "SELECT count(*) FROM audit_log"));

        await AssertDeniedAsync(portal, "UPDATE audit_log SET actor = 'mallory'");
        await AssertDeniedAsync(portal, "DELETE FROM audit_log");
        await AssertDeniedAsync(portal, "TRUNCATE audit_log");
        await AssertDeniedAsync(portal, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
        await AssertDeniedAsync(portal, "DROP TABLE resources");
        await AssertDeniedAsync(portal, "SELECT * FROM certificate_authorities");
        await AssertDeniedAsync(portal, "DELETE FROM registry_instances");
        await AssertDeniedAsync(portal, "INSERT INTO control_plane_leases (name, holder, expires_at) VALUES ('leader', 'portal', now())");
        Assert.Equal(0L, await ScalarAsync(portal, "SELECT count(*) FROM signal_rollups"));
        await AssertDeniedAsync(portal, "DELETE FROM signal_rollups");
        Assert.Equal(0L, await ScalarAsync(portal, "SELECT count(*) FROM tcp_rollups"));
        await AssertDeniedAsync(portal, "DELETE FROM tcp_rollups");
        await AssertDeniedAsync(portal, "DELETE FROM version_totals");
        await AssertDeniedAsync(portal, "DELETE FROM webhook_outbox");
    }

    [Fact]
    public async Task ControlPlane_ReadsDesiredStateWritesItsOwnTablesAndAuditedContentChanges_ButCannotRenameDeleteOrRewriteTheLog()
    {
        await using (var owner = OpenContext())
            Assert.IsType<ChangeResult.Applied>(await ServiceOver(owner).ApplyAsync(Checkout(), Alice));
        var controlPlane = await LoginAsync("meshwork_control_plane");

        Assert.Equal(1L, await ScalarAsync(controlPlane, "SELECT count(*) FROM resources"));
        Assert.Equal(0L, await ScalarAsync(controlPlane, "SELECT count(*) FROM bootstrap_tokens"));
        await ExecuteAsAsync(controlPlane, "DELETE FROM registry_instances");
        await ExecuteAsAsync(controlPlane, "DELETE FROM workload_certificates");
        await ExecuteAsAsync(controlPlane, "DELETE FROM proxy_joins");
        await ExecuteAsAsync(controlPlane, "DELETE FROM rollout_states");
        // The rollout controller moves route splits through the Store: a new version, revision and audit entry.
        await using (var db = MeshworkDbContext.Open(controlPlane))
        {
            var service = ServiceOver(db);
            var stored = await service.GetAsync(Checkout().Key);
            Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(stored!.Resource, new ChangeActor("rollout-controller", ChangeSource.RolloutController)));
        }
        Assert.Equal(2L, await ScalarAsync(controlPlane, "SELECT count(*) FROM audit_log"));
        await new Signals.SignalHistoryStore(NpgsqlDataSource.Create(controlPlane)).SaveAsync("cp-1/a",
            [new Signals.SignalRollup(DateTimeOffset.UtcNow, Signals.SignalSeries.ServiceVersion("checkout", "default", "v1"), 1, 0, [1])], default);
        await ExecuteAsAsync(controlPlane, "DELETE FROM signal_rollups");
        var tcpHistory = new Signals.TcpHistoryStore(NpgsqlDataSource.Create(controlPlane));
        await tcpHistory.SaveAsync("cp-1/a", [new Signals.TcpRollup(DateTimeOffset.UtcNow,
            new Signals.TcpEdgeSeries("web", "default", "v1", "checkout", "default", "v1"), 1, 1, 0, 0, 10, 20, 5)], default);
        Assert.Equal(1, await tcpHistory.PruneAsync(DateTimeOffset.UtcNow.AddMinutes(1), default));
        var totals = new Signals.VersionTotalsStore(NpgsqlDataSource.Create(controlPlane));
        await totals.SaveAsync("cp-1/a", [new Signals.VersionCounts("default", "checkout", "v1", 1, 0, [1])], default);
        Assert.Equal(1L, Assert.Single((await totals.ReadAsync("default", "checkout", "v1", default)).Writers).Requests);
        await ExecuteAsAsync(controlPlane, "DELETE FROM version_totals");
        await ExecuteAsAsync(controlPlane, "DELETE FROM webhook_outbox");

        await AssertDeniedAsync(controlPlane, "UPDATE resources SET name = 'hijacked'");
        await AssertDeniedAsync(controlPlane, "DELETE FROM resources");
        await AssertDeniedAsync(controlPlane, "DELETE FROM resource_revisions");
        await AssertDeniedAsync(controlPlane, "UPDATE audit_log SET actor = 'mallory'");
        await AssertDeniedAsync(controlPlane, "DELETE FROM audit_log");
        await AssertDeniedAsync(controlPlane, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only");
        await AssertDeniedAsync(controlPlane, "UPDATE bootstrap_tokens SET revoked_at = NULL");
    }

    [Fact]
    public async Task Portal_QueuesRolloutCommands_ButCannotWriteTheControllersState()
    {
        var portal = await LoginAsync("meshwork_portal");
        await using var source = NpgsqlDataSource.Create(portal);
        var states = new Rollouts.RolloutStateStore(source);
        await states.RequestAsync("default", "checkout", Model.Rollouts.RolloutCommand.Pause, "alice", CancellationToken.None);
        await states.RequestAsync("default", "checkout", Model.Rollouts.RolloutCommand.Abort, "alice", CancellationToken.None);
        Assert.Equal(Model.Rollouts.RolloutCommand.Abort, (await states.GetAsync("default", "checkout", CancellationToken.None))!.Pending!.Command);

        await AssertDeniedAsync(portal, "UPDATE rollout_states SET weight = 100");
        await AssertDeniedAsync(portal, "UPDATE rollout_states SET phase = 'Promoted'");
        await AssertDeniedAsync(portal, "DELETE FROM rollout_states");
    }

    [Fact]
    public async Task EveryTable_IsReadableByBothRoles_ExceptTheCaWhichThePortalNeverReads()
    {
        // A table a later migration adds without calling meshwork_apply_database_roles() again is
        // invisible to the roles; this names it.
        var ungranted = await ScalarListAsync(ConnectionString, """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'certificate_authorities'
              AND NOT (has_table_privilege('meshwork_portal', c.oid, 'SELECT') AND has_table_privilege('meshwork_control_plane', c.oid, 'SELECT'))
            ORDER BY 1
            """);
        Assert.Empty(ungranted);
    }

    /// <summary>A new login role that is a member of <paramref name="groupRole"/>; its connection string.</summary>
    private async Task<string> LoginAsync(string groupRole)
    {
        var login = $"{groupRole}_{Guid.NewGuid():N}"[..40];
        await ExecuteAsync($"CREATE ROLE {login} LOGIN IN ROLE {groupRole}");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Username = login }.ConnectionString;
    }

    private static async Task AssertDeniedAsync(string connectionString, string sql)
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsAsync(connectionString, sql));
        Assert.True(error.SqlState == PermissionDenied, $"{sql}: expected permission denied, got {error.SqlState} {error.MessageText}");
    }

    private static async Task ExecuteAsAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private static async Task<IReadOnlyList<string>> ScalarListAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.GetString(0));
        return values;
    }
}
