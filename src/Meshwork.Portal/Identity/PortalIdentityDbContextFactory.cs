using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Meshwork.Portal.Identity;

/// <summary>Design-time factory for `dotnet ef migrations add`; the connection string is never used to connect.</summary>
internal sealed class PortalIdentityDbContextFactory : IDesignTimeDbContextFactory<PortalIdentityDbContext>
{
    public PortalIdentityDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PortalIdentityDbContext>();
        IdentityDatabase.Configure(options, NpgsqlDataSource.Create("Host=localhost;Database=meshwork_design"));
        return new PortalIdentityDbContext(options.Options);
    }
}
