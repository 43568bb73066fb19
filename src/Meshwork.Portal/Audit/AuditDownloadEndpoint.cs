using Meshwork.Model.Resources;
using Meshwork.Portal.Identity;
using Meshwork.Store;

namespace Meshwork.Portal.Audit;

/// <summary>
/// The Audit page's export links: the same export as /api/v1/audit/export, but authenticated by
/// the browser's cookie (the API takes bearer tokens only). A GET that changes nothing: no CSRF risk.
/// </summary>
public static class AuditDownloadEndpoint
{
    public static IEndpointRouteBuilder MapAuditDownload(this IEndpointRouteBuilder app)
    {
        app.MapGet("/portal/audit/export", async (AuditLog log, string? format, string? actor, ResourceKind? kind, string? name,
                DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct) =>
            {
                var filter = new AuditFilter { Actor = actor, Kind = kind, Name = name, From = from, To = to };
                var entries = await log.QueryAsync(filter.ToQuery(0, Api.AuditApi.MaxExport), ct);
                return AuditExport.Download(entries, format);
            })
            .RequireAuthorization(PortalPolicies.Read)
            .ExcludeFromDescription();
        return app;
    }
}
