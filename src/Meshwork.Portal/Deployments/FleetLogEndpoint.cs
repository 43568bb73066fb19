using Meshwork.Portal.Identity;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// Downloads one fleet process's log (the Fleet page's Logs dialog links here): the bounded log the
/// driver keeps, cookie-authenticated like the Audit export, for anyone who may see the Fleet page.
/// A GET that changes nothing: no CSRF risk.
/// </summary>
public static class FleetLogEndpoint
{
    /// <summary>The most the download returns: the driver keeps about twice Portal:Fleet:MaxLogBytes anyway.</summary>
    public const int MaxDownloadBytes = 4 * 1024 * 1024;

    public static string UrlFor(string instanceId, string process) =>
        $"/portal/fleet/logs/{Uri.EscapeDataString(instanceId)}/{Uri.EscapeDataString(process)}";

    public static IEndpointRouteBuilder MapFleetLogDownload(this IEndpointRouteBuilder app)
    {
        app.MapGet("/portal/fleet/logs/{instance}/{process}", async (string instance, string process, IServiceProvider services, CancellationToken ct) =>
            {
                if (services.GetService<IDeploymentDriver>() is not { } driver)
                    return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: "The portal deploys nothing here (Portal:Fleet is not configured).");
                if (process is not ("app" or "sidecar"))
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: $"process: '{process}' is neither 'app' nor 'sidecar'");
                var text = await driver.ReadLogAsync(instance, process, MaxDownloadBytes, ct);
                return text is null
                    ? Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"instance: no instance '{instance}' is deployed here")
                    : Results.File(System.Text.Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8", $"{instance}-{process}.log");
            })
            .RequireAuthorization(PortalPolicies.Read)
            .ExcludeFromDescription();
        return app;
    }
}
