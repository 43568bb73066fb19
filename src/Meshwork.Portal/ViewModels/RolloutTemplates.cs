using Meshwork.Model.Resources;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// A ready-made rollout the Fleet page's "Deploy version" dialog can start for the version it deploys:
/// only the steps and promotion differ; the analysis is the Rollout's defaults (see docs/rollouts.md).
/// </summary>
public sealed record RolloutTemplate(string Id, string Title, IReadOnlyList<RolloutStep> Steps, bool AutoPromote = true)
{
    public static string NameFor(string service, string canary) => $"{service}-{canary}";

    /// <summary>The Rollout moving <paramref name="service"/> from <paramref name="stable"/> to <paramref name="canary"/>, named service-canary.</summary>
    public Rollout ToRollout(string ns, string service, string stable, string canary) => new()
    {
        Metadata = new ResourceMetadata { Name = NameFor(service, canary), Namespace = ns },
        Service = service,
        StableVersion = stable,
        CanaryVersion = canary,
        Steps = Steps,
        AutoPromote = AutoPromote,
    };
}

public static class RolloutTemplates
{
    private static RolloutStep Weight(int percent) => new() { SetWeight = percent };

    public static readonly IReadOnlyList<RolloutTemplate> All =
    [
        new("canary-10-25-50-100", "Canary 10/25/50/100 with analysis", [Weight(10), Weight(25), Weight(50), Weight(100)]),
        // A pause without a duration holds until an operator approves on the Rollouts page.
        new("canary-20-50-approve-100", "Canary 20/50/100, manual approval before 100%",
            [Weight(20), Weight(50), new RolloutStep { Pause = new RolloutPause() }, Weight(100)]),
        new("mirror-10-50-100", "Mirror first, then 10/50/100",
            [new RolloutStep { Mirror = new RolloutMirror { Percent = 100 } }, Weight(10), Weight(50), Weight(100)]),
    ];

    public static RolloutTemplate? Find(string? id) => All.FirstOrDefault(t => t.Id == id);
}
