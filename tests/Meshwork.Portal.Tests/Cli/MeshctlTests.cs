using Meshwork.Cli;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Cli;

/// <summary>meshctl against the real portal pipeline (in-memory transport), logged in with a real API client.</summary>
public sealed class MeshctlTests(PortalFactory portal) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private readonly string configDirectory = Path.Combine(Path.GetTempPath(), "meshctl-tests-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string workDirectory = Path.Combine(Path.GetTempPath(), "meshctl-files-" + Guid.NewGuid().ToString("N")[..12]);
    private string clientId = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(workDirectory);
        var client = await portal.CreateClientAsync("Operator", "meshctl tests");
        clientId = client.ClientId;
        var login = await RunAsync("login", "--server", "http://localhost", "--client-id", client.ClientId, "--client-secret", client.ClientSecret);
        Assert.True(login.Code == 0, login.Error);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(configDirectory, recursive: true);
        Directory.Delete(workDirectory, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MeshctlApp.RunAsync(args, new CliEnvironment(configDirectory, output, error, portal.Server.CreateHandler()));
        return (code, output.ToString(), error.ToString());
    }

    private string WriteFile(string name, string yaml)
    {
        var path = Path.Combine(workDirectory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private async Task<StoredResource?> StoredAsync(ResourceKind kind, string name)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(new ResourceKey(kind, "default", name));
    }

    private async Task<IReadOnlyList<AuditEntry>> AuditAsync(string name)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Name = name });
    }

    [Fact]
    public void Login_SavesCredentialsReadableByOwnerOnly()
    {
        var path = Path.Combine(configDirectory, "credentials.json");
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Contains(clientId, File.ReadAllText(path));
    }

    [Fact]
    public async Task Login_WrongSecret_FailsWithMessage()
    {
        var result = await RunAsync("login", "--server", "http://localhost", "--client-id", clientId, "--client-secret", "wrong");
        Assert.Equal(1, result.Code);
        Assert.Contains("login refused", result.Error);
    }

    [Fact]
    public async Task Apply_MultiResourceYaml_WritesAllAndAuditsEachAsCli()
    {
        var file = WriteFile("ok.yaml", Samples.ServiceYaml("cli-a") + "\n---\n" + Samples.ServiceYaml("cli-b", port: 9000));

        var result = await RunAsync("apply", "-f", file);

        Assert.True(result.Code == 0, result.Error);
        Assert.Contains("Service/default/cli-a applied (version 1)", result.Output);
        Assert.Contains("Service/default/cli-b applied (version 1)", result.Output);
        foreach (var name in new[] { "cli-a", "cli-b" })
        {
            var entry = Assert.Single(await AuditAsync(name));
            Assert.Equal(ChangeSource.Cli, entry.Source);
            Assert.Equal(clientId, entry.Actor);
        }
    }

    [Fact]
    public async Task Apply_OneInvalidResource_WritesNothingAndListsEveryError()
    {
        var yaml = Samples.ServiceYaml("cli-atomic-ok") + "\n---\n" + Samples.ServiceYaml("cli-atomic-bad", port: 0)
            + "\n---\n" + Samples.ServiceYaml("cli-atomic-bad2", port: 70000);
        var result = await RunAsync("apply", "-f", WriteFile("bad.yaml", yaml));

        Assert.Equal(1, result.Code);
        Assert.Contains("[1].port", result.Error);
        Assert.Contains("[2].port", result.Error);
        Assert.Contains("Nothing was written.", result.Error);
        Assert.Null(await StoredAsync(ResourceKind.Service, "cli-atomic-ok"));
        Assert.Empty(await AuditAsync("cli-atomic-ok"));
    }

    [Fact]
    public async Task Apply_FileOverTheBodyLimit_Shows413WithTheLimit()
    {
        var yaml = Samples.ServiceYaml("cli-too-large") + "\n# " + new string('x', 1024 * 1024) + "\n";
        var result = await RunAsync("apply", "-f", WriteFile("large.yaml", yaml));

        Assert.Equal(1, result.Code);
        Assert.Contains("error: 413 The request body is too large; nothing was written.", result.Error);
        Assert.Contains("larger than 1 MiB (Portal:Api:MaxRequestBodyBytes)", result.Error);
        Assert.Null(await StoredAsync(ResourceKind.Service, "cli-too-large"));
    }

    [Fact]
    public async Task Apply_MoreDocumentsThanTheLimit_Shows400WithTheLimit()
    {
        var yaml = string.Join("\n---\n", Enumerable.Range(0, 501).Select(i => Samples.ServiceYaml($"cli-many-{i}")));
        var result = await RunAsync("apply", "-f", WriteFile("many.yaml", yaml));

        Assert.Equal(1, result.Code);
        Assert.Contains("error: 400 The request holds too many resources; nothing was written.", result.Error);
        Assert.Contains("more than 500 documents in one request (Portal:Api:MaxDocumentsPerRequest)", result.Error);
        Assert.Null(await StoredAsync(ResourceKind.Service, "cli-many-0"));
    }

    [Fact]
    public async Task Apply_MalformedYaml_SendsNothingAndReportsDocumentPath()
    {
        var yaml = Samples.ServiceYaml("cli-malformed-ok") + "\n---\nkind: Service\nmetadata:\n  name: x\nport: [not, a, number]\n";
        var result = await RunAsync("apply", "-f", WriteFile("malformed.yaml", yaml));

        Assert.Equal(1, result.Code);
        Assert.Contains("[1]", result.Error);
        Assert.Null(await StoredAsync(ResourceKind.Service, "cli-malformed-ok"));
    }

    [Fact]
    public async Task Apply_Twice_ReplacesWithNewVersion()
    {
        Assert.Equal(0, (await RunAsync("apply", "-f", WriteFile("v1.yaml", Samples.ServiceYaml("cli-twice", port: 1000)))).Code);
        var result = await RunAsync("apply", "-f", WriteFile("v2.yaml", Samples.ServiceYaml("cli-twice", port: 2000)));

        Assert.True(result.Code == 0, result.Error);
        var stored = await StoredAsync(ResourceKind.Service, "cli-twice");
        Assert.Equal(2000, ((Service)stored!.Resource).Port);
        Assert.Equal(2, stored.Resource.Metadata.Version);
    }

    [Fact]
    public async Task Diff_ChangedFile_ShowsLinesAndExits2_UnchangedExits0()
    {
        var file = WriteFile("diff.yaml", Samples.ServiceYaml("cli-diff", port: 1111));
        Assert.Equal(0, (await RunAsync("apply", "-f", file)).Code);
        var same = await RunAsync("diff", "-f", file);
        Assert.Equal(0, same.Code);
        Assert.Contains("No differences.", same.Output);

        var changed = await RunAsync("diff", "-f", WriteFile("diff2.yaml", Samples.ServiceYaml("cli-diff", port: 2222)));
        Assert.Equal(2, changed.Code);
        Assert.Contains("- port: 1111", changed.Output);
        Assert.Contains("+ port: 2222", changed.Output);
    }

    [Fact]
    public async Task GetAndDelete_Service_PrintsYamlThenDeletesWithAudit()
    {
        Assert.Equal(0, (await RunAsync("apply", "-f", WriteFile("gd.yaml", Samples.ServiceYaml("cli-get", port: 4321)))).Code);
        var get = await RunAsync("get", "services", "cli-get");
        Assert.Equal(0, get.Code);
        Assert.Contains("port: 4321", get.Output);

        var delete = await RunAsync("delete", "svc", "cli-get");
        Assert.True(delete.Code == 0, delete.Error);
        Assert.Null(await StoredAsync(ResourceKind.Service, "cli-get"));
        var newest = (await AuditAsync("cli-get"))[0];
        Assert.Equal(ChangeAction.Delete, newest.Action);
        Assert.Equal(ChangeSource.Cli, newest.Source);

        var missing = await RunAsync("get", "services", "cli-get");
        Assert.Equal(1, missing.Code);
        Assert.Contains("404", missing.Error);
    }

    [Fact]
    public async Task Audit_ListsCliChanges()
    {
        Assert.Equal(0, (await RunAsync("apply", "-f", WriteFile("audit.yaml", Samples.ServiceYaml("cli-audit")))).Code);
        var result = await RunAsync("audit", "--name", "cli-audit");
        Assert.Equal(0, result.Code);
        Assert.Contains("Service/default/cli-audit", result.Output);
        Assert.Contains("Cli", result.Output);
    }

    [Fact]
    public async Task ExpiredCachedToken_IsRenewedWithSavedClientCredentials()
    {
        var saved = Meshwork.Cli.Client.Credentials.Load(configDirectory)!;
        (saved with { AccessToken = "expired-token", ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }).Save(configDirectory);

        var result = await RunAsync("get", "services");

        Assert.True(result.Code == 0, result.Error);
        var renewed = Meshwork.Cli.Client.Credentials.Load(configDirectory)!;
        Assert.NotEqual("expired-token", renewed.AccessToken);
        Assert.True(renewed.ExpiresAt > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Command_NotLoggedIn_SaysHowToLogIn()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var empty = Path.Combine(workDirectory, "no-config");
        var code = await MeshctlApp.RunAsync(["get", "services"], new CliEnvironment(empty, output, error, portal.Server.CreateHandler()));
        Assert.Equal(1, code);
        Assert.Contains("Not logged in", error.ToString());
    }
}
