using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Identity;

/// <summary>
/// Identity's user manager, with one addition: locking an account out changes its security stamp.
/// Every session and token is checked against the stamp (cookies, open tabs, bearer tokens), so a
/// lockout ends them all, just like a role change; they do not come back when the lockout expires.
/// </summary>
public sealed class PortalUserManager(
    IUserStore<PortalUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<PortalUser> passwordHasher,
    IEnumerable<IUserValidator<PortalUser>> userValidators,
    IEnumerable<IPasswordValidator<PortalUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<PortalUser>> logger)
    : UserManager<PortalUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    /// <summary>The failed attempt that locks the account out (Identity sets the lockout end itself, not through SetLockoutEndDateAsync).</summary>
    public override async Task<IdentityResult> AccessFailedAsync(PortalUser user)
    {
        var result = await base.AccessFailedAsync(user);
        return result.Succeeded && await IsLockedOutAsync(user) ? await UpdateSecurityStampAsync(user) : result;
    }

    public override async Task<IdentityResult> SetLockoutEndDateAsync(PortalUser user, DateTimeOffset? lockoutEnd)
    {
        var result = await base.SetLockoutEndDateAsync(user, lockoutEnd);
        return result.Succeeded && lockoutEnd > DateTimeOffset.UtcNow ? await UpdateSecurityStampAsync(user) : result;
    }
}
