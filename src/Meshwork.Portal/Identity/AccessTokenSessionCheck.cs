using Meshwork.Portal.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Validation;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Validation.OpenIddictValidationEvents;

namespace Meshwork.Portal.Identity;

/// <summary>
/// Runs after OpenIddict has validated an access token (signature, encryption, expiry) on an API
/// request and checks that whoever it was issued for may still use it:
/// a person's token carries their security stamp (<see cref="OidcEndpoints.SecurityStampClaim"/>),
/// which must still be the stored one (a role change, lockout or deletion changes or removes it), and
/// the app it was issued to must still exist; a client-credentials token's client must still exist
/// with the role the token carries. Answers are cached per subject for
/// <see cref="SessionOptions.RevalidationInterval"/>, so a token stops working at most that long after
/// the change, at the cost of one small read per subject per interval rather than per request.
/// </summary>
public sealed class AccessTokenSessionCheck(
    UserManager<PortalUser> users,
    ApiClientService clients,
    IMemoryCache cache,
    IOptions<PortalOptions> portal) : IOpenIddictValidationHandler<ProcessAuthenticationContext>
{
    public static OpenIddictValidationHandlerDescriptor Descriptor { get; } =
        OpenIddictValidationHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .UseScopedHandler<AccessTokenSessionCheck>()
            .SetOrder(OpenIddictValidationHandlers.ValidateAccessToken.Descriptor.Order + 1_000)
            .SetType(OpenIddictValidationHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        if (context.AccessTokenPrincipal is not { } principal)
            return;
        var subject = principal.GetClaim(Claims.Subject);
        var stamp = principal.GetClaim(OidcEndpoints.SecurityStampClaim);
        var presenter = principal.GetPresenters().FirstOrDefault();
        var current = subject is not null && (stamp is not null
            ? stamp == await CachedAsync("stamp:" + subject, () => CurrentStampAsync(subject))
                && (presenter is null || await ClientAsync(presenter) is not null)
            : principal.GetClaim(Claims.Role) is { } role && role == (await ClientAsync(subject))?.Role);
        if (!current)
            context.Reject(Errors.InvalidToken, "The token's user or client was changed, locked out or deleted since it was issued; request a new token.");
    }

    private Task<ApiClient?> ClientAsync(string clientId) => CachedAsync("client:" + clientId, () => clients.FindAsync(clientId));

    private async Task<string?> CurrentStampAsync(string userId) =>
        await users.FindByIdAsync(userId) is { } user ? await users.GetSecurityStampAsync(user) : null;

    private async Task<T?> CachedAsync<T>(string key, Func<Task<T?>> read) where T : class
    {
        key = "meshwork.token-check." + key;
        if (cache.TryGetValue(key, out T? value))
            return value;
        value = await read();
        cache.Set(key, value, portal.Value.Sessions.RevalidationInterval);
        return value;
    }
}
