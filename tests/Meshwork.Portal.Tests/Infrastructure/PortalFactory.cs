using System.Net.Http.Headers;
using System.Text.Json;
using Meshwork.Portal.Identity;
using Meshwork.Testing.Postgres;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Portal.Tests.Infrastructure;

/// <summary>
/// The real portal (Program, the whole pipeline: authentication, OpenIddict, antiforgery, API,
/// Blazor endpoints) on its own freshly migrated PostgreSQL database. One per test class.
/// </summary>
public class PortalFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminEmail = "admin@meshwork.test";
    public const string AdminPassword = "Admin-Passw0rd!";

    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "meshwork-portal-tests-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly Dictionary<string, string> tokens = new();
    private readonly SemaphoreSlim tokenLock = new(1, 1);

    public string ConnectionString { get; set; } = "";

    /// <summary>The configured first-admin password; null leaves it unset, so the portal generates a one-time one.</summary>
    public string? AdminPasswordSetting { get; init; } = AdminPassword;

    /// <summary>Set to share a data folder between two portals (a restart).</summary>
    public string? DataDirectoryOverride { get; init; }

    /// <summary>Extra settings, applied last.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Service overrides for a test (e.g. the backchannel to a stand-in identity provider).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    /// <summary>Extra log sink (tests that read what the portal logs).</summary>
    public ILoggerProvider? LoggerProvider { get; init; }

    public async Task InitializeAsync()
    {
        if (ConnectionString.Length == 0)
            ConnectionString = await MigratedDatabase.CreateAsync();
        _ = Server; // start now: migrations and the first admin run before any test
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Meshwork", ConnectionString);
        builder.UseSetting("Portal:DataDirectory", DataDirectoryOverride ?? dataDirectory);
        builder.UseSetting("Portal:Admin:Email", AdminEmail);
        if (AdminPasswordSetting is not null)
            builder.UseSetting("Portal:Admin:Password", AdminPasswordSetting);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in Settings)
            builder.UseSetting(key, value);
        if (TestServices is not null)
            builder.ConfigureTestServices(TestServices);
        if (LoggerProvider is not null)
            builder.ConfigureLogging(logging => logging.AddProvider(LoggerProvider));
    }

    /// <summary>A confidential API client with this role, created through the product's own service.</summary>
    public async Task<CreatedApiClient> CreateClientAsync(string role, string name = "test client")
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ApiClientService>().CreateConfidentialAsync(name, role);
    }

    /// <summary>An access token from the real token endpoint (client credentials), one client per role.</summary>
    public async Task<string> TokenForAsync(string role)
    {
        await tokenLock.WaitAsync();
        try
        {
            if (tokens.TryGetValue(role, out var cached))
                return cached;
            var client = await CreateClientAsync(role, $"{role} test client");
            var token = await RequestTokenAsync(client.ClientId, client.ClientSecret);
            tokens[role] = token;
            return token;
        }
        finally
        {
            tokenLock.Release();
        }
    }

    public async Task<string> RequestTokenAsync(string clientId, string secret)
    {
        using var http = CreateClient();
        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"token request failed: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>An HTTP client for the API: with a bearer token for the role, or anonymous when role is null.</summary>
    public async Task<HttpClient> ApiClientAsync(string? role)
    {
        var http = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (role is not null)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenForAsync(role));
        return http;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
