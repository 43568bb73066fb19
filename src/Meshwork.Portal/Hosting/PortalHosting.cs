using Meshwork.Portal.Api;
using Meshwork.Portal.Audit;
using Meshwork.Portal.Components;
using Meshwork.Portal.Deployments;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Interop;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using MudBlazor.Services;

namespace Meshwork.Portal.Hosting;

/// <summary>The portal's composition: services in <see cref="AddPortal"/>, pipeline in <see cref="UsePortal"/>.</summary>
public static class PortalHosting
{
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        var portal = builder.Configuration.GetSection(PortalOptions.Section).Get<PortalOptions>() ?? new PortalOptions();
        builder.Services.AddOptions<PortalOptions>().Bind(builder.Configuration.GetSection(PortalOptions.Section))
            .Validate(o => o.Api.MaxRequestBodyBytes > 0, "Portal:Api:MaxRequestBodyBytes must be at least 1 (bytes)")
            .Validate(o => o.Api.MaxDocumentsPerRequest > 0, "Portal:Api:MaxDocumentsPerRequest must be at least 1")
            .ValidateOnStart();
        builder.Services.Configure<BootstrapTokenOptions>(builder.Configuration.GetSection(BootstrapTokenOptions.Section));
        var connectionString = DatabaseConnectionBudget.Apply(builder.Configuration.GetConnectionString("Meshwork")
            ?? throw new InvalidOperationException(
                "ConnectionStrings:Meshwork is not set (environment ConnectionStrings__Meshwork); `./meshwork up` sets it."),
            portal.DatabaseMaxConnections, DatabaseConnectionBudget.Portal);

        builder.Services.AddMeshworkStore(connectionString, builder.Configuration[AuditSealer.KeySetting]);
        builder.AddPortalIdentity(portal, connectionString);
        builder.Services.AddHostedService<DatabaseStartup>();

        // Serve library assets (MudBlazor's _content/) from a build output in every environment, not
        // only Development; a published app has them in wwwroot and this is then a no-op.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddMudServices();
        builder.Services.AddPortalViewModels();
        builder.Services.AddSingleton(services => new Live.MeshLiveData(portal.ControlPlane.Address, services.GetRequiredService<ILogger<Live.MeshLiveData>>()));
        builder.Services.AddHostedService<Live.MeshStatusWatcher>();
        builder.Services.AddHostedService<Live.StoreChangeWatcher>();
        builder.Services.AddSingleton<Live.TopologyThresholds>();
        builder.Services.AddSingleton<Live.TopologyRollouts>();
        builder.Services.AddSingleton<Hubs.TopologyViews>();
        builder.Services.AddSingleton<Live.LiveTapSource>();
        builder.AddFleet(portal);
        builder.AddDemoTraffic();

        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi("v1", options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Meshwork API";
                document.Info.Description = "Desired state of the mesh: services, routes, resilience and access policies, rollouts, settings; and the audit log.";
                return Task.CompletedTask;
            });
            options.AddDocumentTransformer<OpenApiSecurity>();
        });
        return builder;
    }

    public static WebApplication UsePortal(this WebApplication app)
    {
        var portal = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PortalOptions>>().Value;
        // Unexpected failures become an RFC 7807 body (no stack traces outside Development).
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler();
        if (portal.RequireHttps)
        {
            app.UseHsts();
            app.UseHttpsRedirection();
        }
        app.UseSecurityHeaders();
        app.UseStatusCodePages(async context =>
        {
            // API callers get RFC 7807 bodies for bare status codes (401, 403, 404, 405).
            if (context.HttpContext.Request.Path.StartsWithSegments("/api"))
                await Results.Problem(statusCode: context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext);
        });

        app.UseApiBodyLimit(portal.Api);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapOidcEndpoints();
        app.MapAccountEndpoints();
        app.MapResourceApi();
        app.MapImportApi();
        app.MapExportApi();
        app.MapAuditApi();
        app.MapRolloutApi();
        app.MapBootstrapTokenApi();
        app.MapAuditDownload();
        app.MapExportDownload();
        app.MapFleetLogDownload();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapHub<Hubs.MeshHub>(Hubs.MeshHub.Path);
        return app;
    }
}
