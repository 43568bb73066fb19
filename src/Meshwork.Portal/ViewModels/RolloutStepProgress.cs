using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.Portal.ViewModels;

public enum RolloutStepState
{
    Done,
    Current,

    /// <summary>The step the rollout was on when it rolled back or was aborted.</summary>
    Stopped,
    Pending,
}

/// <summary>One step of a rollout's spec and where the rollout is relative to it.</summary>
public sealed record RolloutStepView(int Number, string Text, RolloutStepState State);

/// <summary>A rollout's steps as the page lists them: done, current (or where it stopped), still to come.</summary>
public static class RolloutStepProgress
{
    public static IReadOnlyList<RolloutStepView> Steps(Rollout rollout, RolloutStatus status) =>
        rollout.Steps.Select((step, i) => new RolloutStepView(i + 1, Text(step), State(i, status))).ToList();

    private static RolloutStepState State(int index, RolloutStatus status) => status.Phase switch
    {
        _ when index < status.Step => RolloutStepState.Done,
        RolloutPhase.Promoted => RolloutStepState.Done,
        RolloutPhase.RolledBack or RolloutPhase.Aborted when index == status.Step => RolloutStepState.Stopped,
        _ when index == status.Step && RolloutStatuses.IsLive(status.Phase) => RolloutStepState.Current,
        _ => RolloutStepState.Pending,
    };

    private static string Text(RolloutStep step) => step switch
    {
        { SetWeight: { } weight } => $"canary to {weight}%, then analysis passes",
        { Mirror.Percent: { } percent } => $"copy {percent}% of requests to the canary, then analysis passes on the copies",
        { Pause.Duration: { } duration } => $"hold {duration.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture)} s",
        _ => "hold until an operator promotes",
    };
}
