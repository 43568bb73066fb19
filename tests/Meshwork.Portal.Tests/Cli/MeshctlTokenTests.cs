using Meshwork.Cli;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Cli;

/// <summary>meshctl token issue/list/revoke against the real portal pipeline, logged in as an admin API client.</summary>
public sealed class MeshctlTokenTests(PortalFactory portal) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private readonly string configDirectory = Path.Combine(Path.GetTempPath(), "meshctl-token-tests-" + Guid.NewGuid().ToString("N")[..12]);

    public async Task InitializeAsync()
    {
        var client = await portal.CreateClientAsync("Admin", "meshctl token tests");
        var login = await RunAsync("login", "--server", "http://localhost", "--client-id", client.ClientId, "--client-secret", client.ClientSecret);
        Assert.True(login.Code == 0, login.Error);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(configDirectory, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MeshctlApp.RunAsync(args, new CliEnvironment(configDirectory, output, error, portal.Server.CreateHandler()));
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Issue_ListAndRevoke_ScopedTokenWithJoinCommand()
    {
        var issued = await RunAsync("token", "issue", "--service", "orders", "--namespace", "shop", "--name", "cli-orders", "--valid-for", "00:30:00");

        Assert.True(issued.Code == 0, issued.Error);
        Assert.Contains("for shop/orders, valid until", issued.Output);
        Assert.DoesNotContain("WILDCARD", issued.Output);
        var secret = issued.Output.Split('\n').Single(l => l.StartsWith("secret (shown once): ", StringComparison.Ordinal))["secret (shown once): ".Length..].Trim();
        Assert.Contains($"ControlPlaneClient__BootstrapToken='{secret}'", issued.Output);
        await using var scope = portal.Services.CreateAsyncScope();
        var stored = (await scope.ServiceProvider.GetRequiredService<BootstrapTokenService>().ListAsync()).Single(t => t.Name == "cli-orders");
        Assert.Equal(BootstrapTokenService.Hash(secret), stored.SecretHash);
        Assert.InRange(stored.ExpiresAt - stored.CreatedAt, TimeSpan.FromMinutes(29.9), TimeSpan.FromMinutes(30.1));

        var listed = await RunAsync("token", "list");
        Assert.Contains(stored.Id.ToString(), listed.Output);
        Assert.Contains("shop/orders", listed.Output);

        var revoked = await RunAsync("token", "revoke", stored.Id.ToString());
        Assert.True(revoked.Code == 0, revoked.Error);
        var after = await RunAsync("token", "list");
        Assert.Contains("revoked", after.Output.Split('\n').Single(l => l.Contains(stored.Id.ToString())));
    }

    [Fact]
    public async Task Issue_WildcardNeedsTheFlag_AndIsMarkedWhenGiven()
    {
        var refused = await RunAsync("token", "issue", "--service", "*");
        var wildcard = await RunAsync("token", "issue", "--service", "*", "--wildcard");

        Assert.Equal(1, refused.Code);
        Assert.Contains("service: '*' admits any", refused.Error);
        Assert.True(wildcard.Code == 0, wildcard.Error);
        Assert.Contains("default/* WILDCARD", wildcard.Output);
        Assert.Contains("--ControlPlaneClient:Service SERVICE", wildcard.Output);
    }
}
