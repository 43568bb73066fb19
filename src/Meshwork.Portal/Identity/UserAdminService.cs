using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.Portal.Identity;

public sealed record PortalUserSummary(string Id, string Email, string Role, bool IsLockedOut, DateTimeOffset CreatedAt);

/// <summary>The outcome of a user-management action, with Identity's own messages on failure.</summary>
public sealed record UserActionResult(bool Succeeded, IReadOnlyList<string> Errors)
{
    public static readonly UserActionResult Success = new(true, []);
    public static UserActionResult Failed(params string[] errors) => new(false, errors);
    public static UserActionResult From(IdentityResult result) =>
        result.Succeeded ? Success : new(false, result.Errors.Select(e => e.Description).ToList());
}

/// <summary>Users and their (single, cumulative) role. Each user holds exactly one of <see cref="PortalRoles"/>.</summary>
public sealed class UserAdminService(UserManager<PortalUser> users)
{
    public async Task<IReadOnlyList<PortalUserSummary>> ListAsync(CancellationToken ct = default)
    {
        var all = await users.Users.OrderBy(u => u.Email).ToListAsync(ct);
        var result = new List<PortalUserSummary>(all.Count);
        foreach (var user in all)
        {
            var roles = await users.GetRolesAsync(user);
            result.Add(new PortalUserSummary(user.Id, user.Email ?? user.UserName ?? user.Id, HighestRole(roles),
                await users.IsLockedOutAsync(user), user.CreatedAt));
        }
        return result;
    }

    public async Task<UserActionResult> CreateAsync(string email, string password, string role)
    {
        if (!PortalRoles.IsKnown(role))
            return UserActionResult.Failed($"Unknown role '{role}'.");
        var user = new PortalUser { UserName = email.Trim(), Email = email.Trim(), EmailConfirmed = true, LockoutEnabled = true };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
            return UserActionResult.From(created);
        return UserActionResult.From(await users.AddToRoleAsync(user, role));
    }

    public async Task<UserActionResult> SetRoleAsync(string userId, string role, string actingUserId)
    {
        if (!PortalRoles.IsKnown(role))
            return UserActionResult.Failed($"Unknown role '{role}'.");
        var user = await users.FindByIdAsync(userId);
        if (user is null)
            return UserActionResult.Failed("The user no longer exists.");
        if (userId == actingUserId && role != PortalRoles.Admin)
            return UserActionResult.Failed("You cannot remove your own Admin role; ask another admin.");
        var current = await users.GetRolesAsync(user);
        var removed = await users.RemoveFromRolesAsync(user, current);
        if (!removed.Succeeded)
            return UserActionResult.From(removed);
        var added = await users.AddToRoleAsync(user, role);
        if (added.Succeeded)
            await users.UpdateSecurityStampAsync(user); // signs the user out elsewhere so the new role applies now
        return UserActionResult.From(added);
    }

    public async Task<UserActionResult> DeleteAsync(string userId, string actingUserId)
    {
        if (userId == actingUserId)
            return UserActionResult.Failed("You cannot delete your own account.");
        var user = await users.FindByIdAsync(userId);
        return user is null ? UserActionResult.Failed("The user no longer exists.") : UserActionResult.From(await users.DeleteAsync(user));
    }

    public async Task<UserActionResult> UnlockAsync(string userId)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
            return UserActionResult.Failed("The user no longer exists.");
        await users.ResetAccessFailedCountAsync(user);
        return UserActionResult.From(await users.SetLockoutEndDateAsync(user, null));
    }

    public static string HighestRole(IEnumerable<string> roles)
    {
        var set = roles.ToHashSet(StringComparer.Ordinal);
        return set.Contains(PortalRoles.Admin) ? PortalRoles.Admin
            : set.Contains(PortalRoles.Operator) ? PortalRoles.Operator
            : set.Contains(PortalRoles.Viewer) ? PortalRoles.Viewer
            : "(none)";
    }
}
