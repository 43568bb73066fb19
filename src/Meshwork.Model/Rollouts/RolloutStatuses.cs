using Meshwork.Model.Resources;

namespace Meshwork.Model.Rollouts;

public static class RolloutStatuses
{
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
