using Microsoft.AspNetCore.Identity;

namespace Meshwork.Portal.Identity;

/// <summary>A person who signs in to the portal. Roles are Identity roles named in <see cref="PortalRoles"/>.</summary>
public sealed class PortalUser : IdentityUser
{
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}
