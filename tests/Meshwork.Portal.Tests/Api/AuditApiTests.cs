using System.Net;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Serialization;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Meshwork.Portal.Tests.Api;

public sealed class AuditApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task CreateAsync(string name)
    {
        using var http = await portal.ApiClientAsync("Operator");
        (await http.PostAsync("/api/v1/services", new StringContent(MeshworkJson.Serialize(Samples.Service(name)), Encoding.UTF8, "application/json")))
            .EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Query_FilterByName_ReturnsOnlyThatResourceNewestFirst()
    {
        await CreateAsync("audit-q1");
        await CreateAsync("audit-q2");
        using var http = await portal.ApiClientAsync("Viewer");
        using var document = JsonDocument.Parse(await http.GetStringAsync("/api/v1/audit?name=audit-q2"));
        var entry = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal("audit-q2", entry.GetProperty("name").GetString());
        Assert.Equal("Create", entry.GetProperty("action").GetString());
        Assert.Equal("Api", entry.GetProperty("source").GetString());
    }

    [Fact]
    public async Task ExportCsv_HasHeaderAndOneQuotedRowPerEntry()
    {
        await CreateAsync("audit-csv");
        using var http = await portal.ApiClientAsync("Viewer");
        using var response = await http.GetAsync("/api/v1/audit/export?format=csv&name=audit-csv");
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("sequence,at,actor,source,action,kind,namespace,name", lines[0]);
        Assert.Equal(2, lines.Length);
        Assert.Contains(",Api,Create,Service,default,audit-csv,", lines[1]);
        Assert.Contains("\"{\"\"kind\"\":\"\"Service\"\"", lines[1]); // the JSON column, quoted with doubled quotes
    }

    [Fact]
    public async Task ExportJson_IsAnArrayOfEntries()
    {
        await CreateAsync("audit-json");
        using var http = await portal.ApiClientAsync("Viewer");
        using var response = await http.GetAsync("/api/v1/audit/export?format=json&name=audit-json");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("audit-json", Assert.Single(document.RootElement.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Verify_TamperedRow_NamesTheFirstBrokenSequence()
    {
        await CreateAsync("audit-verify-1");
        await CreateAsync("audit-verify-2");
        using var http = await portal.ApiClientAsync("Viewer");
        using (var intact = JsonDocument.Parse(await http.GetStringAsync("/api/v1/audit/verify")))
            Assert.True(intact.RootElement.GetProperty("isIntact").GetBoolean());

        long sequence;
        await using (var scope = portal.Services.CreateAsyncScope())
            sequence = (await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Name = "audit-verify-1" }))[0].Sequence;
        await using (var connection = new NpgsqlConnection(portal.ConnectionString))
        {
            await connection.OpenAsync();
            // Someone with table-owner rights: switches the append-only trigger off, rewrites history, switches it back.
            await using var tamper = new NpgsqlCommand($"""
                ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
                UPDATE audit_log SET actor = 'mallory' WHERE sequence = {sequence};
                ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
                """, connection);
            await tamper.ExecuteNonQueryAsync();
        }

        using var broken = JsonDocument.Parse(await http.GetStringAsync("/api/v1/audit/verify"));
        Assert.False(broken.RootElement.GetProperty("isIntact").GetBoolean());
        Assert.Equal(sequence, broken.RootElement.GetProperty("firstBrokenSequence").GetInt64());
    }

    [Fact]
    public async Task Export_WithoutToken_Returns401()
    {
        using var http = await portal.ApiClientAsync(null);
        using var response = await http.GetAsync("/api/v1/audit/export?format=csv");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
