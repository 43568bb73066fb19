using Meshwork.Portal.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddPortal();

var app = builder.Build();
app.UsePortal();
app.MapDefaultEndpoints();
app.Run();

/// <summary>Entry point; public so integration tests can host the real pipeline (WebApplicationFactory).</summary>
public partial class Program;
