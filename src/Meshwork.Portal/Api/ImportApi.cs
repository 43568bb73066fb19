using Meshwork.Model.Resources;
using Meshwork.Portal.Interop;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Api;

/// <summary>
/// POST /api/v1/import: upstream manifests (Istio, Gateway API, SMI, Flagger, Argo Rollouts; docs/interop.md)
/// translated by <see cref="ManifestImportService"/> against what is stored, shown as a diff per resource,
/// and applied atomically (one transaction, one audit entry per resource naming <c>source</c>) unless
/// <c>dryRun=true</c>. Any error (a document that cannot be translated, a resource the validator
/// refuses) writes nothing and is listed with its source path.
/// </summary>
public static class ImportApi
{
    public sealed record Message(string Path, string Text, string Severity);

    /// <summary>One resource the import makes: create, update or unchanged, with the changed lines against the stored one.</summary>
    public sealed record Change(string Kind, string Namespace, string Name, string Action, IReadOnlyList<DiffLine> Diff, long? Version);

    /// <summary>A line removed, added or changed (JSON of the resource, pretty-printed): <c>before</c> and/or <c>after</c>.</summary>
    public sealed record DiffLine(string Change, string? Before, string? After);

    public sealed record ImportView(bool Applied, IReadOnlyList<Message> Messages, IReadOnlyList<Change> Changes);

    public static IEndpointRouteBuilder MapImportApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/import", ImportAsync).DisableAntiforgery()
            .RequireAuthorization(PortalPolicies.Api(PortalPolicies.EditTraffic)).WithTags("Import")
            .WithSummary("Translate Istio, Gateway API, SMI, Flagger or Argo Rollouts YAML and apply it atomically (dryRun=true: the diff only; source: the file name for the audit log)");
        return app;
    }

    private static async Task<IResult> ImportAsync(HttpContext context, ManifestImportService importer, IAuthorizationService authorization,
        IOptions<PortalOptions> options, bool? dryRun, string? source, CancellationToken ct)
    {
        var limits = options.Value.Api;
        var text = await ResourceBodies.ReadLimitedAsync(context.Request, limits.MaxRequestBodyBytes, ct);
        if (text is null)
            return ApiProblems.TooLarge(limits.MaxRequestBodyBytes);
        if (YamlDocuments.MoreThan(text, limits.MaxDocumentsPerRequest))
            return ApiProblems.TooManyDocuments(limits.MaxDocumentsPerRequest);

        var plan = await importer.PlanAsync(text, ct);
        var messages = plan.Messages.Select(m => new Message(m.Path, m.Message, m.Severity.ToString().ToLowerInvariant())).ToList();
        var changes = plan.Resources.Select(ToChange).ToList();
        if (!plan.CanApply)
        {
            if (dryRun == true)
                return Results.Ok(new ImportView(false, messages, changes));
            return Results.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "The import could not be translated; nothing was written.",
                detail: plan.Errors.Count > 0 ? string.Join("; ", plan.Errors.Select(e => $"{e.Path}: {e.Message}")) : "The manifests hold nothing that translates to a Meshwork resource.",
                extensions: new Dictionary<string, object?> { ["messages"] = messages });
        }
        if (dryRun == true)
            return Results.Ok(new ImportView(false, messages, changes));

        foreach (var kind in plan.Resources.Select(r => r.Resource.Kind).Distinct())
        {
            if (!(await authorization.AuthorizeAsync(context.User, PortalPolicies.Api(PortalPolicies.WritePolicyFor(kind)))).Succeeded)
                return ApiProblems.Forbidden($"Changing {kind} resources needs the {PortalRoles.Admin} role; nothing was written.");
        }
        if (plan.ToWrite.Count == 0)
            return Results.Ok(new ImportView(false, messages, changes));
        return await importer.ApplyAsync(plan, ApiActor.From(context), source ?? "the request body", ct) switch
        {
            ChangeResult.Applied applied => Results.Ok(new ImportView(true, messages,
                changes.Select(c => c with { Version = applied.Resources.FirstOrDefault(s => Same(s.Resource, c))?.Resource.Metadata.Version ?? c.Version }).ToList())),
            var other => ResourceApi.Failure(other),
        };
    }

    private static Change ToChange(ImportedResource imported) =>
        new(imported.Resource.Kind.ToString(), imported.Resource.Metadata.Namespace, imported.Resource.Metadata.Name,
            imported.Action.ToString().ToLowerInvariant(),
            imported.ChangedLines.Select(r => new DiffLine(r.Kind.ToString().ToLowerInvariant(), r.Left, r.Right)).ToList(),
            imported.StoredVersion);

    private static bool Same(Resource resource, Change change) =>
        resource.Kind.ToString() == change.Kind && resource.Metadata.Namespace == change.Namespace && resource.Metadata.Name == change.Name;
}
