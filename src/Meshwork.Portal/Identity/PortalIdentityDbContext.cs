using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Meshwork.Portal.Identity;

/// <summary>
/// Portal users, roles and the OpenIddict applications, authorizations, scopes and tokens. Lives in
/// the same database as the mesh store but in its own schema with its own migrations history, so
/// the two contexts migrate independently.
/// </summary>
public sealed class PortalIdentityDbContext(DbContextOptions<PortalIdentityDbContext> options)
    : IdentityDbContext<PortalUser, IdentityRole, string>(options)
{
    public const string Schema = "portal_identity";
    public const string MigrationsHistoryTable = "__portal_identity_migrations";

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.HasDefaultSchema(Schema);
        builder.UseOpenIddict();
    }
}
