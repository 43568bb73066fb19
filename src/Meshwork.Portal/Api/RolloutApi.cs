using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Model.Serialization;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Meshwork.Store.Rollouts;

namespace Meshwork.Portal.Api;

/// <summary>
/// /api/v1/rollouts/{namespace}/{name}/status and its commands. The portal never moves traffic itself:
/// a command is queued in the rollout's stored state and the control plane's rollout controller carries
/// it out (and records who asked) on its next tick. A command that cannot apply in the current phase is
/// refused with 409 and the reason. Status: Viewer; commands: Operator; promote-full (skips analysis): Admin.
/// </summary>
public static class RolloutApi
{
    /// <summary>URL segment of each command.</summary>
    public static readonly IReadOnlyDictionary<RolloutCommand, string> Segments = new Dictionary<RolloutCommand, string>
    {
        [RolloutCommand.Promote] = "promote",
        [RolloutCommand.Pause] = "pause",
        [RolloutCommand.Resume] = "resume",
        [RolloutCommand.Abort] = "abort",
        [RolloutCommand.Retry] = "retry",
        [RolloutCommand.PromoteFull] = "promote-full",
    };

    /// <summary>The policy each command needs: skipping analysis is an administrator's call.</summary>
    public static string PolicyFor(RolloutCommand command) =>
        command == RolloutCommand.PromoteFull ? PortalPolicies.Administer : PortalPolicies.EditTraffic;

    public static IEndpointRouteBuilder MapRolloutApi(this IEndpointRouteBuilder app)
    {
        var rollouts = app.MapGroup("/api/v1/rollouts/{namespace}/{name}").WithTags("Rollout").DisableAntiforgery();
        rollouts.MapGet("/status", StatusAsync).RequireAuthorization(PortalPolicies.Api(PortalPolicies.Read))
            .WithSummary("Phase, step, weight, the last analysis (metric, value, threshold, requests counted) and the decisions");
        foreach (var (command, segment) in Segments)
        {
            rollouts.MapPost("/" + segment, (HttpContext context, ResourceService store, RolloutStateStore states, string @namespace, string name, CancellationToken ct) =>
                    CommandAsync(context, store, states, new ResourceKey(ResourceKind.Rollout, @namespace, name), command, ct))
                .RequireAuthorization(PortalPolicies.Api(PolicyFor(command)))
                .WithSummary($"Queue '{segment}' for the rollout controller (202); 409 when the rollout's phase does not allow it");
        }
        return app;
    }

    private static async Task<IResult> StatusAsync(ResourceService store, RolloutStateStore states, string @namespace, string name, CancellationToken ct)
    {
        var key = new ResourceKey(ResourceKind.Rollout, @namespace, name);
        if (await store.GetAsync(key, ct) is not { Resource: Rollout rollout })
            return ApiProblems.NotFound(key.ToString());
        return Results.Json(RolloutStatuses.Current(rollout, await states.GetAsync(@namespace, name, ct)), MeshworkJson.Options);
    }

    private static async Task<IResult> CommandAsync(HttpContext context, ResourceService store, RolloutStateStore states, ResourceKey key,
        RolloutCommand command, CancellationToken ct)
    {
        if (await store.GetAsync(key, ct) is not { Resource: Rollout rollout })
            return ApiProblems.NotFound(key.ToString());
        var status = RolloutStatuses.Current(rollout, await states.GetAsync(key.Namespace, key.Name, ct));
        if (RolloutCommands.WhyNot(command, status.Phase) is { } why)
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The rollout's phase does not allow this command; nothing was queued.",
                detail: why, extensions: new Dictionary<string, object?> { ["phase"] = status.Phase.ToString(), ["command"] = Segments[command] });
        var pending = await states.RequestAsync(key.Namespace, key.Name, command, ApiActor.From(context).Name, ct);
        return Results.Json(status with { Pending = pending }, MeshworkJson.Options, statusCode: StatusCodes.Status202Accepted);
    }
}
