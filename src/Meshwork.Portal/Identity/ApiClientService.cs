using System.Security.Cryptography;
using System.Text.Json;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Meshwork.Portal.Identity;

/// <summary>An OIDC client as the Users page lists it; secrets are never read back.</summary>
public sealed record ApiClient(string ClientId, string DisplayName, bool IsConfidential, string? Role, IReadOnlyList<string> RedirectUris);

/// <summary>A newly created confidential client: the only time its secret is visible.</summary>
public sealed record CreatedApiClient(string ClientId, string ClientSecret, string Role);

/// <summary>
/// Manages the OpenIddict applications: confidential clients for automation (client credentials,
/// with a portal role that their tokens carry) and public clients for browser apps (authorization
/// code + PKCE, acting as the signed-in person with that person's roles).
/// </summary>
public sealed class ApiClientService(IOpenIddictApplicationManager applications)
{
    /// <summary>Application property holding the portal role of a confidential client.</summary>
    public const string RoleProperty = "meshwork_role";

    public async Task<CreatedApiClient> CreateConfidentialAsync(string displayName, string role, CancellationToken ct = default)
    {
        if (!PortalRoles.IsKnown(role))
            throw new ArgumentException($"unknown role '{role}'", nameof(role));
        var clientId = "mw-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? clientId : displayName.Trim(),
            Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials },
        };
        descriptor.Properties[RoleProperty] = JsonSerializer.SerializeToElement(role);
        await applications.CreateAsync(descriptor, ct);
        return new CreatedApiClient(clientId, secret, role);
    }

    public async Task<string> CreatePublicAsync(string displayName, Uri redirectUri, CancellationToken ct = default)
    {
        var clientId = "mw-pub-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientType = ClientTypes.Public,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? clientId : displayName.Trim(),
            RedirectUris = { redirectUri },
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Email, Permissions.Scopes.Profile, Permissions.Scopes.Roles,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        await applications.CreateAsync(descriptor, ct);
        return clientId;
    }

    public async Task<IReadOnlyList<ApiClient>> ListAsync(CancellationToken ct = default)
    {
        var clients = new List<ApiClient>();
        await foreach (var application in applications.ListAsync(count: null, offset: null, ct))
            clients.Add(await DescribeAsync(application, ct));
        return clients.OrderBy(c => c.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();
    }

    public async Task<ApiClient?> FindAsync(string clientId, CancellationToken ct = default)
    {
        var application = await applications.FindByClientIdAsync(clientId, ct);
        return application is null ? null : await DescribeAsync(application, ct);
    }

    public async Task<string?> FindRoleAsync(string clientId, CancellationToken ct = default)
    {
        var application = await applications.FindByClientIdAsync(clientId, ct);
        return application is null ? null : await ReadRoleAsync(application, ct);
    }

    public async Task<bool> DeleteAsync(string clientId, CancellationToken ct = default)
    {
        var application = await applications.FindByClientIdAsync(clientId, ct);
        if (application is null)
            return false;
        await applications.DeleteAsync(application, ct);
        return true;
    }

    private async Task<ApiClient> DescribeAsync(object application, CancellationToken ct)
    {
        var clientId = await applications.GetClientIdAsync(application, ct) ?? "";
        var name = await applications.GetDisplayNameAsync(application, ct) ?? clientId;
        var type = await applications.GetClientTypeAsync(application, ct);
        var redirects = await applications.GetRedirectUrisAsync(application, ct);
        return new ApiClient(clientId, name, type == ClientTypes.Confidential, await ReadRoleAsync(application, ct), redirects.ToList());
    }

    private async Task<string?> ReadRoleAsync(object application, CancellationToken ct)
    {
        var properties = await applications.GetPropertiesAsync(application, ct);
        return properties.TryGetValue(RoleProperty, out var value) && value.ValueKind == JsonValueKind.String
            && PortalRoles.IsKnown(value.GetString()!) ? value.GetString() : null;
    }
}
