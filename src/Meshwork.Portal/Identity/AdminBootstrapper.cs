using System.Security.Cryptography;
using Meshwork.Portal.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Identity;

/// <summary>
/// First start: create the roles and, when no Admin exists yet, the first administrator, from
/// configuration or with a generated password that is written to the log exactly once (it is not
/// stored anywhere readable, so a restart never prints it again).
/// </summary>
public sealed class AdminBootstrapper(
    UserManager<PortalUser> users,
    RoleManager<IdentityRole> roles,
    IOptions<PortalOptions> options,
    ILogger<AdminBootstrapper> logger)
{
    public async Task EnsureAsync()
    {
        foreach (var role in PortalRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
                Check(await roles.CreateAsync(new IdentityRole(role)), $"create role {role}");
        }

        if ((await users.GetUsersInRoleAsync(PortalRoles.Admin)).Count > 0)
            return;

        var admin = options.Value.Admin;
        var generated = string.IsNullOrEmpty(admin.Password);
        var password = generated ? GeneratePassword() : admin.Password!;
        var user = await users.FindByEmailAsync(admin.Email);
        if (user is null)
        {
            user = new PortalUser { UserName = admin.Email, Email = admin.Email, EmailConfirmed = true, LockoutEnabled = true };
            Check(await users.CreateAsync(user, password), "create the first admin");
        }
        else
        {
            Check(await users.RemovePasswordAsync(user), "reset the first admin's password");
            Check(await users.AddPasswordAsync(user, password), "reset the first admin's password");
        }
        Check(await users.AddToRoleAsync(user, PortalRoles.Admin), "make the first admin an Admin");

        if (generated)
            logger.LogWarning("Created the first admin {Email} with the one-time password {Password} (shown once; set Portal:Admin:Password to choose one, and change it after signing in)",
                admin.Email, password);
        else
            logger.LogInformation("Created the first admin {Email} from configuration", admin.Email);
    }

    private static string GeneratePassword()
    {
        // Meets the Identity defaults (upper, lower, digit, symbol, length) whatever the random part holds.
        var random = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y');
        return "Mw1!" + random;
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
            throw new InvalidOperationException($"Could not {what}: {string.Join("; ", result.Errors.Select(e => e.Description))}");
    }
}
