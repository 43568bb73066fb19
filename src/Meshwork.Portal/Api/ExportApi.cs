using Meshwork.Model.Interop;
using Meshwork.Model.Validation;
using Meshwork.Portal.Identity;
using Meshwork.Store;

namespace Meshwork.Portal.Api;

/// <summary>
/// GET /api/v1/export?format=gateway-api|istio|meshwork[&amp;namespace=ns]: the stored resources written by
/// <see cref="ManifestExporter"/> (the exporter <c>meshctl export</c> runs), so a user can leave as easily as
/// arrive. Routes are exported with their services' ports, versions and policies from the whole store.
/// JSON <c>{format, yaml, messages}</c>; with <c>Accept: application/yaml</c> the YAML alone. Viewer and up.
/// </summary>
public static class ExportApi
{
    /// <summary>The format names the endpoint takes (docs/api.md).</summary>
    public static readonly IReadOnlyDictionary<string, ExportFormat> Formats = new Dictionary<string, ExportFormat>(StringComparer.OrdinalIgnoreCase)
    {
        ["gateway-api"] = ExportFormat.GatewayApi,
        ["istio"] = ExportFormat.Istio,
        ["meshwork"] = ExportFormat.Meshwork,
    };

    public sealed record ExportView(string Format, string Yaml, IReadOnlyList<ImportApi.Message> Messages);

    public static IEndpointRouteBuilder MapExportApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/export", ExportAsync).WithTags("Import")
            .RequireAuthorization(PortalPolicies.Api(PortalPolicies.Read))
            .WithSummary("The stored resources as Gateway API (format=gateway-api), Istio (format=istio) or Meshwork YAML, with what the target cannot say");
        return app;
    }

    private static async Task<IResult> ExportAsync(HttpRequest request, ResourceService store, string? format, string? @namespace, CancellationToken ct)
    {
        if (format is null || !Formats.TryGetValue(format, out var target))
        {
            var message = $"must be one of {string.Join(", ", Formats.Keys)}; was '{format}'";
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unknown export format.", detail: "format: " + message,
                extensions: new Dictionary<string, object?> { ["errors"] = ApiProblems.Issues([new ValidationIssue("format", message)]) });
        }
        var all = (await store.ListAsync(ct: ct)).Select(s => s.Resource).ToList();
        var selected = @namespace is null ? all : all.Where(r => r.Metadata.Namespace == @namespace).ToList();
        var result = ManifestExporter.Export(selected, target, all);
        if (ResourceBodies.WantsYaml(request))
            return Results.Text(result.Yaml, "application/yaml; charset=utf-8");
        return Results.Ok(new ExportView(format.ToLowerInvariant(), result.Yaml,
            result.Messages.Select(m => new ImportApi.Message(m.Path, m.Message, m.Severity.ToString().ToLowerInvariant())).ToList()));
    }
}
