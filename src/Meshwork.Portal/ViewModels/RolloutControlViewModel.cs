using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Meshwork.Store.Rollouts;

namespace Meshwork.Portal.ViewModels;

/// <summary>One rollout as the Rollouts page shows it: its definition and the controller's live state.</summary>
public sealed record RolloutRow(Rollout Rollout, RolloutStatus Status)
{
    public string Key => $"{Rollout.Metadata.Namespace}/{Rollout.Metadata.Name}";

    public string StepText => RolloutStatuses.StepText(Status);

    public IReadOnlyList<RolloutStepView> Steps { get; } = RolloutStepProgress.Steps(Rollout, Status);

    public IReadOnlyList<RolloutTimelineEntry> Timeline { get; } = RolloutTimeline.Entries(Status);

    public RolloutAnalysisChart Chart { get; } = RolloutAnalysisChart.From(Status);

    /// <summary>Null when <paramref name="command"/> applies now; otherwise why not (the button's tooltip).</summary>
    public string? WhyNot(RolloutCommand command) =>
        Status.Pending is { } pending ? $"{pending.Command} by {pending.Actor} is waiting for the controller" : RolloutCommands.WhyNot(command, Status.Phase);
}

/// <summary>
/// The Rollouts page's live part: every rollout with its phase, steps, weight, timeline of decisions and
/// canary-vs-stable analyses, and the operator's commands, queued for the control plane's rollout
/// controller exactly as the REST API queues them. Operators control; skipping analysis (promote-full)
/// is for admins; viewers only watch. The page reloads it on the live stream's ticks.
/// </summary>
public sealed class RolloutControlViewModel(IServiceScopeFactory scopes, RolloutStateStore states, CurrentUser user) : LoadState
{
    public IReadOnlyList<RolloutRow> Rows { get; private set; } = [];
    public bool CanControl { get; private set; }
    public bool CanPromoteFull { get; private set; }

    private long loads;

    public Task LoadAsync() => RunLoadAsync(async () =>
    {
        // Live ticks and commands both reload: a load that started before a newer one must not overwrite its result.
        var load = Interlocked.Increment(ref loads);
        var canControl = await user.CanAsync(PortalPolicies.EditTraffic);
        var canPromoteFull = await user.CanAsync(PortalPolicies.Administer);
        await using var scope = scopes.CreateAsyncScope();
        var rollouts = await scope.ServiceProvider.GetRequiredService<ResourceService>().ListAsync(ResourceKind.Rollout);
        var stored = (await states.ListAsync(CancellationToken.None)).ToDictionary(s => (s.Namespace, s.Name));
        var rows = rollouts.Select(r => (Rollout)r.Resource)
            .Select(r => new RolloutRow(r, RolloutStatuses.Current(r, stored.GetValueOrDefault((r.Metadata.Namespace, r.Metadata.Name)))))
            .ToList();
        if (load != Interlocked.Read(ref loads)) return;
        (CanControl, CanPromoteFull, Rows) = (canControl, canPromoteFull, rows);
    }, "rollouts");

    public async Task<ChangeOutcome> SendAsync(RolloutRow row, RolloutCommand command)
    {
        if (!await user.CanAsync(command == RolloutCommand.PromoteFull ? PortalPolicies.Administer : PortalPolicies.EditTraffic))
            return ChangeOutcome.Denied(command == RolloutCommand.PromoteFull ? "skipping a rollout's analysis" : "controlling rollouts");
        if (row.WhyNot(command) is { } why)
            return new ChangeOutcome(false, $"Not sent: {why}.", []);
        await states.RequestAsync(row.Rollout.Metadata.Namespace, row.Rollout.Metadata.Name, command, (await user.ActorAsync()).Name, CancellationToken.None);
        await LoadAsync();
        return new ChangeOutcome(true, $"{command} sent to the rollout controller for {row.Key}.", []);
    }
}
