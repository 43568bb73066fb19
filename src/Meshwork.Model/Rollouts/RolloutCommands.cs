namespace Meshwork.Model.Rollouts;

/// <summary>Which operator command makes sense in which phase: the API refuses the others, naming why.</summary>
public static class RolloutCommands
{
    /// <summary>Null when <paramref name="command"/> applies in <paramref name="phase"/>; otherwise why not.</summary>
    public static string? WhyNot(RolloutCommand command, RolloutPhase phase) => (command, phase) switch
    {
        (RolloutCommand.Retry, RolloutPhase.RolledBack or RolloutPhase.Aborted) => null,
        (RolloutCommand.Retry, _) => $"retry starts a rolled back or aborted rollout again; this one is {phase}",
        (_, RolloutPhase.Promoted or RolloutPhase.RolledBack or RolloutPhase.Aborted) =>
            $"the rollout is {phase}; only retry (after a rollback or abort) applies",
        (RolloutCommand.Pause, RolloutPhase.Paused) => "the rollout is already paused",
        (RolloutCommand.Resume, not RolloutPhase.Paused) => $"only a paused rollout resumes; this one is {phase}",
        _ => null,
    };
}
