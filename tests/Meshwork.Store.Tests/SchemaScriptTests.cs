using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Meshwork.Store.Tests;

public sealed class SchemaScriptTests
{
    private const string Regenerate =
        "db/schema.sql is out of date with the migrations. Regenerate it: " +
        "dotnet ef migrations script --idempotent -p src/Meshwork.Store -s src/Meshwork.Store -o db/schema.sql";

    [Fact]
    public void SchemaSql_ComparedWithMigrations_IsUpToDate()
    {
        // Scripting needs the model and the migrations, not a server.
        var options = new DbContextOptionsBuilder<MeshworkDbContext>().UseNpgsql("Host=127.0.0.1;Database=unused").Options;
        using var db = new MeshworkDbContext(options);
        var generated = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);

        var committed = File.ReadAllText(Path.Combine(RepositoryRoot(), "db", "schema.sql"));

        Assert.True(Normalize(committed) == Normalize(generated), Regenerate);
    }

    [Fact]
    public async Task MigrateAsync_FreshDatabase_LeavesNoPendingModelChanges()
    {
        await using var db = MeshworkDbContext.Open(await Testing.Postgres.MigratedDatabase.CreateAsync());

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges(), "the model changed without a migration: run dotnet ef migrations add");
    }

    private static string Normalize(string sql) =>
        string.Join('\n', sql.TrimStart('\uFEFF').ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd())).Trim();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no Portal.sln above {AppContext.BaseDirectory}");
    }
}
