using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Microsoft.AspNetCore.Authorization;

namespace Meshwork.Portal.Api;

/// <summary>
/// /api/v1/{kind} for every resource kind: list, get, create, replace, delete, validate, revisions,
/// revert; plus /api/v1/apply and /api/v1/validate for multi-resource (GitOps) batches. Reads need
/// Viewer; writes need the kind's write policy (<see cref="PortalPolicies.WritePolicyFor"/>).
/// </summary>
public static class ResourceApi
{
    public static IEndpointRouteBuilder MapResourceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").DisableAntiforgery();
        foreach (var (kind, segment) in ApiKinds.Segments)
        {
            var read = PortalPolicies.Api(PortalPolicies.Read);
            var write = PortalPolicies.Api(PortalPolicies.WritePolicyFor(kind));
            var group = api.MapGroup("/" + segment).WithTags(kind.ToString());
            group.MapGet("/", (HttpRequest request, ResourceService store, string? @namespace, CancellationToken ct) =>
                    ListAsync(request, store, kind, @namespace, ct))
                .RequireAuthorization(read).WithSummary($"List {segment}");
            group.MapGet("/{namespace}/{name}", (HttpRequest request, ResourceService store, string @namespace, string name, CancellationToken ct) =>
                    GetAsync(request, store, new ResourceKey(kind, @namespace, name), ct))
                .RequireAuthorization(read).WithSummary($"Get one of {segment}; ETag is its version");
            group.MapPost("/", (HttpContext context, ResourceService store, CancellationToken ct) => CreateAsync(context, store, kind, ct))
                .RequireAuthorization(write).WithSummary($"Create one of {segment}");
            group.MapPut("/{namespace}/{name}", (HttpContext context, ResourceService store, string @namespace, string name, CancellationToken ct) =>
                    ReplaceAsync(context, store, new ResourceKey(kind, @namespace, name), ct))
                .RequireAuthorization(write).WithSummary("Replace; If-Match (or metadata.version) must name the current version");
            group.MapDelete("/{namespace}/{name}", (HttpContext context, ResourceService store, string @namespace, string name, CancellationToken ct) =>
                    DeleteAsync(context, store, new ResourceKey(kind, @namespace, name), ct))
                .RequireAuthorization(write).WithSummary("Delete; If-Match must name the current version");
            group.MapPost("/validate", (HttpRequest request, ResourceService store, CancellationToken ct) => ValidateAsync(request, store, kind, ct))
                .RequireAuthorization(read).WithSummary("Dry run: validate against the stored state, write nothing");
            group.MapGet("/{namespace}/{name}/revisions", async (ResourceService store, string @namespace, string name, CancellationToken ct) =>
                    Results.Json((await store.ListRevisionsAsync(new ResourceKey(kind, @namespace, name), ct)).Select(RevisionView.From).ToList(), MeshworkJson.Options))
                .RequireAuthorization(read).WithSummary("Every stored revision, oldest first");
            group.MapPost("/{namespace}/{name}/revert", (HttpContext context, ResourceService store, string @namespace, string name,
                        RevertRequest body, CancellationToken ct) =>
                    RevertAsync(context, store, new ResourceKey(kind, @namespace, name), body, ct))
                .RequireAuthorization(write).WithSummary("Restore an earlier revision as a new version; If-Match must name the current version");
        }

        api.MapPost("/apply", ApplyBatchAsync).RequireAuthorization(PortalPolicies.Api(PortalPolicies.EditTraffic)).WithTags("Batch")
            .WithSummary("Create or replace many resources atomically (multi-document YAML or a JSON array): all or nothing");
        api.MapPost("/validate", ValidateBatchAsync).RequireAuthorization(PortalPolicies.Api(PortalPolicies.Read)).WithTags("Batch")
            .WithSummary("Dry run of a batch: validate against the stored state, write nothing");
        return app;
    }

    public sealed record RevertRequest(long ToVersion);

    public sealed record RevisionView(long Version, string Action, DateTimeOffset At, string Actor, string Source, Resource? Resource)
    {
        public static RevisionView From(ResourceRevision r) => new(r.Version, r.Action.ToString(), r.At, r.Actor, r.Source.ToString(), r.Resource);
    }

    public sealed record AppliedView(string Kind, string Namespace, string Name, long Version);

    public sealed record BatchResult(IReadOnlyList<AppliedView> Applied, IReadOnlyList<ApiProblems.Issue> Warnings);

    public sealed record ValidationView(bool Valid, IReadOnlyList<ApiProblems.Issue> Issues);

    private static async Task<IResult> ListAsync(HttpRequest request, ResourceService store, ResourceKind kind, string? ns, CancellationToken ct)
    {
        var stored = await store.ListAsync(kind, string.IsNullOrEmpty(ns) ? null : ns, ct);
        return ResourceBodies.Write(request, stored.Select(s => s.Resource).ToList(), single: false);
    }

    private static async Task<IResult> GetAsync(HttpRequest request, ResourceService store, ResourceKey key, CancellationToken ct)
    {
        var stored = await store.GetAsync(key, ct);
        if (stored is null)
            return ApiProblems.NotFound(key.ToString());
        request.HttpContext.Response.Headers.ETag = ETags.For(stored.Resource.Metadata.Version);
        request.HttpContext.Response.Headers.LastModified = stored.UpdatedAt.ToString("R");
        return ResourceBodies.Write(request, [stored.Resource], single: true);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, ResourceService store, ResourceKind kind, CancellationToken ct)
    {
        var (resource, problem) = await ReadOneAsync(context.Request, kind, ct);
        if (problem is not null)
            return problem;
        var result = await store.ApplyAsync(resource! with { Metadata = resource!.Metadata with { Version = 0 } }, ApiActor.From(context), ct);
        return Outcome(context, result, created: true);
    }

    private static async Task<IResult> ReplaceAsync(HttpContext context, ResourceService store, ResourceKey key, CancellationToken ct)
    {
        if (!ETags.TryReadIfMatch(context.Request, out var ifMatch))
            return ApiProblems.BadRequest("If-Match must be a quoted version such as \"3\".");
        var (resource, problem) = await ReadOneAsync(context.Request, key.Kind, ct);
        if (problem is not null)
            return problem;
        if (resource!.Key != key)
            return ApiProblems.BadRequest($"The body names {resource.Key} but the URL names {key}.", "metadata");
        var version = ifMatch ?? resource.Metadata.Version;
        if (version == -1)
            version = (await store.GetAsync(key, ct))?.Resource.Metadata.Version ?? 0;
        if (version <= 0)
            return ApiProblems.PreconditionRequired("Send If-Match with the version you read (its ETag), or set metadata.version; create with POST.");
        var result = await store.ApplyAsync(resource with { Metadata = resource.Metadata with { Version = version } }, ApiActor.From(context), ct);
        return Outcome(context, result, created: false);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, ResourceService store, ResourceKey key, CancellationToken ct)
    {
        if (!ETags.TryReadIfMatch(context.Request, out var ifMatch))
            return ApiProblems.BadRequest("If-Match must be a quoted version such as \"3\".");
        if (ifMatch is null)
            return ApiProblems.PreconditionRequired("Send If-Match with the version you read (its ETag), or * to delete whatever is current.");
        var version = ifMatch.Value;
        if (version == -1)
        {
            var current = await store.GetAsync(key, ct);
            if (current is null)
                return ApiProblems.NotFound(key.ToString());
            version = current.Resource.Metadata.Version;
        }
        return await store.DeleteAsync(key, version, ApiActor.From(context), ct) switch
        {
            ChangeResult.Applied => Results.NoContent(),
            var other => Failure(other),
        };
    }

    private static async Task<IResult> RevertAsync(HttpContext context, ResourceService store, ResourceKey key, RevertRequest body, CancellationToken ct)
    {
        if (!ETags.TryReadIfMatch(context.Request, out var ifMatch) || ifMatch is null or -1)
            return ApiProblems.PreconditionRequired("Send If-Match with the current version you read, so a revert never overwrites a change you have not seen.");
        var result = await store.RevertAsync(key, body.ToVersion, ifMatch.Value, ApiActor.From(context), ct);
        return Outcome(context, result, created: false);
    }

    private static async Task<IResult> ValidateAsync(HttpRequest request, ResourceService store, ResourceKind kind, CancellationToken ct)
    {
        var (resource, problem) = await ReadOneAsync(request, kind, ct);
        if (problem is not null)
            return problem;
        var validation = store.Validate([resource!]);
        return Results.Ok(new ValidationView(validation.IsValid, ApiProblems.Issues(StripBatchPrefix(validation.Issues))));
    }

    private static async Task<IResult> ApplyBatchAsync(HttpContext context, ResourceService store, IAuthorizationService authorization, CancellationToken ct)
    {
        var body = await ResourceBodies.ReadAsync(context.Request, ct);
        if (body.Refusal is not null)
            return body.Refusal;
        if (body.Issues.Count > 0)
            return ApiProblems.Invalid(body.Issues, "The batch could not be read; nothing was written.");
        if (body.Resources.Count == 0)
            return ApiProblems.BadRequest("The batch holds no resources.");
        // The endpoint admits Operators; a batch touching admin-only kinds needs Admin for the whole batch.
        foreach (var kind in body.Resources.Select(r => r.Kind).Distinct())
        {
            var policy = PortalPolicies.Api(PortalPolicies.WritePolicyFor(kind));
            if (!(await authorization.AuthorizeAsync(context.User, policy)).Succeeded)
                return ApiProblems.Forbidden($"Changing {kind} resources needs the {PortalRoles.Admin} role; nothing was written.");
        }
        var resources = await ApplySemantics.ResolveVersionsAsync(store, body.Resources, ct);
        return await store.ApplyManyAsync(resources, ApiActor.From(context), ct) switch
        {
            ChangeResult.Applied applied => Results.Ok(new BatchResult(
                applied.Resources.Select(s => new AppliedView(s.Resource.Kind.ToString(), s.Resource.Metadata.Namespace, s.Resource.Metadata.Name, s.Resource.Metadata.Version)).ToList(),
                ApiProblems.Issues(applied.Warnings))),
            var other => Failure(other),
        };
    }

    private static async Task<IResult> ValidateBatchAsync(HttpRequest request, ResourceService store, CancellationToken ct)
    {
        var body = await ResourceBodies.ReadAsync(request, ct);
        if (body.Refusal is not null)
            return body.Refusal;
        if (body.Issues.Count > 0)
            return Results.Ok(new ValidationView(false, ApiProblems.Issues(body.Issues)));
        var validation = store.Validate(body.Resources);
        return Results.Ok(new ValidationView(validation.IsValid, ApiProblems.Issues(validation.Issues)));
    }

    private static async Task<(Resource? Resource, IResult? Problem)> ReadOneAsync(HttpRequest request, ResourceKind kind, CancellationToken ct)
    {
        var body = await ResourceBodies.ReadAsync(request, ct);
        if (body.Refusal is not null)
            return (null, body.Refusal);
        if (body.Issues.Count > 0)
            return (null, ApiProblems.Invalid(StripBatchPrefix(body.Issues), "The request body could not be read; nothing was written."));
        if (body.Resources.Count != 1)
            return (null, ApiProblems.BadRequest($"Expected exactly one resource, found {body.Resources.Count}."));
        var resource = body.Resources[0];
        if (resource.Kind != kind)
            return (null, ApiProblems.BadRequest($"This endpoint takes {kind}, the body is a {resource.Kind}.", "kind"));
        return (resource, null);
    }

    private static IResult Outcome(HttpContext context, ChangeResult result, bool created)
    {
        if (result is not ChangeResult.Applied applied)
            return Failure(result);
        var stored = applied.Resources[0];
        context.Response.Headers.ETag = ETags.For(stored.Resource.Metadata.Version);
        if (created)
            context.Response.Headers.Location = ApiKinds.PathOf(stored.Resource.Key);
        return ResourceBodies.Write(context.Request, [stored.Resource], single: true, created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    internal static IResult Failure(ChangeResult result) => result switch
    {
        ChangeResult.Invalid invalid => ApiProblems.Invalid(invalid.Validation.Issues),
        ChangeResult.Conflict conflict => ApiProblems.Conflict(conflict),
        ChangeResult.NotFound notFound => ApiProblems.NotFound(notFound.Key.ToString()),
        _ => throw new InvalidOperationException($"unexpected outcome {result.GetType().Name}"),
    };

    /// <summary>A single resource is reported without the "[0]" a batch would carry.</summary>
    private static IEnumerable<ValidationIssue> StripBatchPrefix(IEnumerable<ValidationIssue> issues) =>
        issues.Select(i => i.Path.StartsWith("[0].", StringComparison.Ordinal) ? i with { Path = i.Path[4..] }
            : i.Path == "[0]" ? i with { Path = "" } : i);
}
