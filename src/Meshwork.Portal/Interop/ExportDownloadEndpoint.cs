using System.Text;
using Meshwork.Model.Resources;
using Meshwork.Model.Interop;
using Meshwork.Portal.Identity;

namespace Meshwork.Portal.Interop;

/// <summary>
/// The Export menu's download link: GET /portal/export/{kind}/{namespace}/{name}?format=gateway-api|istio|meshwork,
/// one stored resource as a YAML file, made by the same <see cref="ManifestExportService"/> as the page and the
/// API, but authenticated by the browser's cookie (the API takes bearer tokens only). A GET that changes
/// nothing: no CSRF risk. Viewer and up; an unknown format or kind is 400, a resource not stored 404.
/// </summary>
public static class ExportDownloadEndpoint
{
    public const string Path = "portal/export";

    /// <summary>The link for one resource (relative, so it works under a path base).</summary>
    public static string Href(ResourceKey key, ExportFormat format) =>
        $"{Path}/{key.Kind}/{Uri.EscapeDataString(key.Namespace)}/{Uri.EscapeDataString(key.Name)}?format={ManifestExportService.NameOf(format)}";

    public static IEndpointRouteBuilder MapExportDownload(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + Path + "/{kind}/{namespace}/{name}", async (ManifestExportService exporter, string kind, string @namespace, string name,
                string? format, CancellationToken ct) =>
            {
                if (!Enum.TryParse<ResourceKind>(kind, ignoreCase: true, out var parsedKind) || !Enum.IsDefined(parsedKind))
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown kind.",
                        detail: $"kind: must be one of {string.Join(", ", Enum.GetNames<ResourceKind>())}; was '{kind}'");
                if (format is null || !ManifestExportService.Formats.TryGetValue(format, out var target))
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown export format.",
                        detail: $"format: must be one of {string.Join(", ", ManifestExportService.Formats.Keys)}; was '{format}'");
                var key = new ResourceKey(parsedKind, @namespace, name);
                var result = await exporter.ExportAsync(key, target, ct);
                return result is null
                    ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: $"{key} is not stored")
                    : Results.File(Encoding.UTF8.GetBytes(result.Yaml), "application/yaml; charset=utf-8", ManifestExportService.FileName(key, target));
            })
            .RequireAuthorization(PortalPolicies.Read)
            .ExcludeFromDescription();
        return app;
    }
}
