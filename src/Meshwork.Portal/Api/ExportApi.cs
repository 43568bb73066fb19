using Meshwork.Model.Interop;
using Meshwork.Model.Validation;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Interop;

namespace Meshwork.Portal.Api;

/// <summary>
/// GET /api/v1/export?format=gateway-api|istio|meshwork[&amp;namespace=ns]: the stored resources written by
/// <see cref="ManifestExportService"/> (the exporter <c>meshctl export</c> and the portal's Export menu run), so a
/// user can leave as easily as arrive.
/// JSON <c>{format, yaml, messages}</c>; with <c>Accept: application/yaml</c> the YAML alone. Viewer and up.
/// </summary>
public static class ExportApi
{
    public sealed record ExportView(string Format, string Yaml, IReadOnlyList<ImportApi.Message> Messages);

    public static IEndpointRouteBuilder MapExportApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/export", ExportAsync).WithTags("Import")
            .RequireAuthorization(PortalPolicies.Api(PortalPolicies.Read))
            .WithSummary("The stored resources as Gateway API (format=gateway-api), Istio (format=istio) or Meshwork YAML, with what the target cannot say");
        return app;
    }

    private static async Task<IResult> ExportAsync(HttpRequest request, ManifestExportService exporter, string? format, string? @namespace, CancellationToken ct)
    {
        if (format is null || !ManifestExportService.Formats.TryGetValue(format, out var target))
        {
            var message = $"must be one of {string.Join(", ", ManifestExportService.Formats.Keys)}; was '{format}'";
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown export format.", detail: "format: " + message,
                extensions: new Dictionary<string, object?> { ["errors"] = ApiProblems.Issues([new ValidationIssue("format", message)]) });
        }
        var result = await exporter.ExportAsync(target, r => @namespace is null || r.Metadata.Namespace == @namespace, ct);
        if (ResourceBodies.WantsYaml(request))
            return Results.Text(result.Yaml, "application/yaml; charset=utf-8");
        return Results.Ok(new ExportView(format.ToLowerInvariant(), result.Yaml,
            result.Messages.Select(m => new ImportApi.Message(m.Path, m.Message, m.Severity.ToString().ToLowerInvariant())).ToList()));
    }
}
