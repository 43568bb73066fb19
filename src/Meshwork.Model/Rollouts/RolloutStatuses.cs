using Meshwork.Model.Resources;

namespace Meshwork.Model.Rollouts;

/// <summary>What every surface (API, meshctl, the Rollouts page) shows of a rollout's state.</summary>
public static class RolloutStatuses
{
    /// <summary>The actor of the decisions the rollout controller makes on its own (not an operator's command).</summary>
    public const string ControllerActor = "rollout-controller";

    /// <summary>Progressing, paused or waiting for approval: the controller still owns the route's split.</summary>
    public static bool IsLive(RolloutPhase phase) => phase is RolloutPhase.Progressing or RolloutPhase.Paused or RolloutPhase.WaitingForApproval;

    /// <summary>The decision that enters a mirror step: the canary mirror is on from then until the step ends.</summary>
    public const string MirrorStarted = "MirrorStarted";

    /// <summary>
    /// The share of requests copied to the canary in <paramref name="status"/>: while the rollout is live on a mirror
    /// step it has entered (<see cref="MirrorStarted"/> recorded); otherwise null, no mirror.
    /// </summary>
    public static int? MirrorPercent(Rollout rollout, RolloutStatus status) =>
        IsLive(status.Phase) && status.Step < rollout.Steps.Count && rollout.Steps[status.Step].Mirror is { } mirror && Recorded(status, MirrorStarted)
            ? mirror.Percent
            : null;

    /// <summary>
    /// Whether the canary receives requests in <paramref name="status"/> (so an analysis interval has something to judge):
    /// a weight above 0, a mirror step it has entered, or A/B routing (<see cref="Rollout.CanaryHeader"/>), which sends
    /// the matching requests to the canary at any weight, 0 included. A live rollout at 0 % with none of these
    /// gives the canary no traffic by design.
    /// </summary>
    public static bool CanaryReceivesTraffic(Rollout rollout, RolloutStatus status) =>
        status.Weight > 0 || MirrorPercent(rollout, status) is not null || rollout.CanaryHeader is not null;

    /// <summary>Whether <paramref name="action"/> was decided for the current step in this run of the rollout (since it started or was retried).</summary>
    public static bool Recorded(RolloutStatus status, string action)
    {
        for (var i = status.History.Count - 1; i >= 0; i--)
        {
            var decision = status.History[i];
            if (decision.Action == action && decision.Step == status.Step) return true;
            if (decision.Action is "Started" or "Retried") return false;
        }
        return false;
    }

    /// <summary>"2/4" for the second of four steps, "4/4 (done)" past the last.</summary>
    public static string StepText(RolloutStatus status) =>
        status.Step >= status.StepCount ? $"{status.StepCount}/{status.StepCount} (done)" : $"{status.Step + 1}/{status.StepCount}";

    /// <summary>
    /// The stored state if it belongs to this version of the rollout; otherwise what the controller will
    /// start from (step 1, nothing on the canary), saying it has not picked the rollout up yet.
    /// </summary>
    public static RolloutStatus Current(Rollout rollout, RolloutStatus? stored) =>
        stored is not null && stored.RolloutVersion == rollout.Metadata.Version
            ? stored
            : new RolloutStatus
            {
                Namespace = rollout.Metadata.Namespace,
                Name = rollout.Metadata.Name,
                RolloutVersion = rollout.Metadata.Version,
                Phase = RolloutPhase.Progressing,
                StepCount = rollout.Steps.Count,
                Pending = stored?.Pending,
                Message = "not picked up by the rollout controller yet (it runs on the leading control plane)",
            };
}
