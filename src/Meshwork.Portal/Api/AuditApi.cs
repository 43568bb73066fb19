using Meshwork.Model.Resources;
using Meshwork.Portal.Audit;
using Meshwork.Portal.Identity;
using Meshwork.Store;

namespace Meshwork.Portal.Api;

/// <summary>/api/v1/audit: query with filters, export (CSV or JSON), verify the hash chain. Viewer and up.</summary>
public static class AuditApi
{
    /// <summary>Exports stop here; page through with skip for more.</summary>
    public const int MaxExport = 10_000;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/api/v1/audit").WithTags("Audit").RequireAuthorization(PortalPolicies.Api(PortalPolicies.Read));

        audit.MapGet("/", async (AuditLog log, string? actor, ResourceKind? kind, string? @namespace, string? name, ChangeSource? source,
                DateTimeOffset? from, DateTimeOffset? to, int? skip, int? take, CancellationToken ct) =>
            {
                var filter = new AuditFilter { Actor = actor, Kind = kind, Namespace = @namespace, Name = name, Source = source, From = from, To = to };
                var entries = await log.QueryAsync(filter.ToQuery(Math.Max(0, skip ?? 0), Math.Clamp(take ?? 100, 1, 1000)), ct);
                return Results.Stream(output => AuditExport.WriteJsonAsync(output, entries), "application/json; charset=utf-8");
            })
            .WithSummary("Audit entries, newest first, filtered by actor, resource, source and time");

        audit.MapGet("/export", async (AuditLog log, string? format, string? actor, ResourceKind? kind, string? @namespace, string? name,
                DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct) =>
            {
                var filter = new AuditFilter { Actor = actor, Kind = kind, Namespace = @namespace, Name = name, From = from, To = to };
                var entries = await log.QueryAsync(filter.ToQuery(0, MaxExport), ct);
                return AuditExport.Download(entries, format);
            })
            .WithSummary("Download the (filtered) audit log as CSV (?format=csv) or JSON");

        audit.MapGet("/verify", async (AuditLog log, CancellationToken ct) => Results.Ok(await log.VerifyChainAsync(ct)))
            .WithSummary("Walk the hash chain (and, with Audit:SealKey set, each row's seal); names the first broken row if any");
        return app;
    }
}
