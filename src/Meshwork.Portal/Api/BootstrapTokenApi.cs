using Meshwork.Model.Validation;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Tokens;
using Meshwork.Store;
using Meshwork.Store.Entities;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Api;

/// <summary>
/// /api/v1/bootstrap-tokens: issue (the secret and the proxy's join command come back once), list
/// and revoke the tokens proxies join with. Admins only.
/// </summary>
public static class BootstrapTokenApi
{
    /// <summary>POST body; <c>validFor</c> is a TimeSpan ("01:00:00"), absent for the default lifetime.</summary>
    public sealed record IssueRequest(string? Name, string? Namespace, string? Service, TimeSpan? ValidFor, bool Wildcard);

    public sealed record TokenView(Guid Id, string Name, string Namespace, string Service, bool Wildcard, string State,
        DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, string CreatedBy);

    public sealed record IssuedView(Guid Id, string Name, string Namespace, string Service, bool Wildcard, DateTimeOffset ExpiresAt,
        string Secret, string JoinCommand);

    public static IEndpointRouteBuilder MapBootstrapTokenApi(this IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup("/api/v1/bootstrap-tokens").WithTags("Bootstrap tokens")
            .RequireAuthorization(PortalPolicies.Api(PortalPolicies.Administer));

        tokens.MapGet("/", async (BootstrapTokenService service, TimeProvider time, CancellationToken ct) =>
                Results.Ok((await service.ListAsync(ct)).Select(t => View(t, time.GetUtcNow())).ToList()))
            .WithSummary("Bootstrap tokens (never their secrets), newest first");

        tokens.MapPost("/", async (IssueRequest? body, HttpContext context, BootstrapTokenService service, IOptions<PortalOptions> portal,
                ILogger<BootstrapTokenService> logger, CancellationToken ct) =>
            {
                if (body is null) return ApiProblems.BadRequest("a JSON body with name, namespace and service is required");
                try
                {
                    var actor = ApiActor.From(context);
                    var issued = await service.IssueAsync(body.Name ?? "", body.Service ?? "", body.Namespace ?? "", body.ValidFor, actor,
                        body.Wildcard, ct);
                    logger.LogInformation("Bootstrap token {Name} ({Id}) for {Namespace}/{Service} issued by {Actor}, expires {ExpiresAt:u}",
                        issued.Name, issued.Id, issued.Namespace, issued.Service, actor.Name, issued.ExpiresAt);
                    return Results.Created($"/api/v1/bootstrap-tokens/{issued.Id}", new IssuedView(issued.Id, issued.Name, issued.Namespace,
                        issued.Service, issued.IsWildcard, issued.ExpiresAt, issued.Secret, ProxyJoinCommand.For(issued, portal.Value.ControlPlane)));
                }
                catch (BootstrapTokenRequestException ex)
                {
                    return ApiProblems.Invalid(ex.Errors.Select(e => new ValidationIssue(e.Field, e.Message)), "The token request is invalid; nothing was issued.");
                }
            })
            .WithSummary("Issue a token scoped to one namespace and service (wildcard only with wildcard: true); the secret is returned once");

        tokens.MapDelete("/{id:guid}", async (Guid id, HttpContext context, BootstrapTokenService service, ILogger<BootstrapTokenService> logger,
                CancellationToken ct) =>
            {
                var actor = ApiActor.From(context);
                if (!await service.RevokeAsync(id, actor, ct)) return ApiProblems.NotFound($"Bootstrap token {id}");
                logger.LogInformation("Bootstrap token {Id} revoked by {Actor}", id, actor.Name);
                return Results.NoContent();
            })
            .WithSummary("Revoke a token: new joins are refused and the proxies that joined with it are evicted");
        return app;
    }

    public static TokenView View(BootstrapToken token, DateTimeOffset now) => new(token.Id, token.Name, token.Namespace, token.Service,
        BootstrapTokenService.IsWildcard(token), StateOf(token, now), token.CreatedAt, token.ExpiresAt, token.RevokedAt, token.CreatedBy);

    public static string StateOf(BootstrapToken token, DateTimeOffset now) =>
        token.RevokedAt is not null ? "revoked" : token.ExpiresAt <= now ? "expired" : "active";
}
