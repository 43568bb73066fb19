using Meshwork.Portal.Hosting;

// `migrate`: apply the schema migrations with the schema owner's connection string and exit.
var migrateOnly = args is [DatabaseMigrations.Command, ..];
var builder = WebApplication.CreateBuilder(migrateOnly ? args[1..] : args);
builder.AddServiceDefaults();
builder.AddPortal();

var app = builder.Build();
if (migrateOnly)
{
    await DatabaseMigrations.MigrateAsync(app.Services);
    return;
}
app.UsePortal();
app.MapDefaultEndpoints();
app.Run();

/// <summary>Entry point; public so integration tests can host the real pipeline (WebApplicationFactory).</summary>
public partial class Program;
