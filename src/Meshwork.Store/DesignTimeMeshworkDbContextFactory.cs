using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Meshwork.Store;

/// <summary>
/// Lets `dotnet ef migrations add/script` build the context without a running app. Adding or
/// scripting migrations needs no database; `dotnet ef database update` uses MESHWORK_DESIGN_CONNECTION.
/// </summary>
internal sealed class DesignTimeMeshworkDbContextFactory : IDesignTimeDbContextFactory<MeshworkDbContext>
{
    public MeshworkDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("MESHWORK_DESIGN_CONNECTION")
            ?? "Host=127.0.0.1;Database=meshwork;Username=postgres";
        var options = new DbContextOptionsBuilder<MeshworkDbContext>().UseNpgsql(connectionString).Options;
        return new MeshworkDbContext(options);
    }
}
