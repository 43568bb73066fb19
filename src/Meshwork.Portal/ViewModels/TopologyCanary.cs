using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// A live rollout as the topology graph marks it: the canary version it moves traffic to, and its progress in
/// words, for example "canary 20% · step 2/5 · Progressing" (with "mirroring 100%" during a mirror step).
/// </summary>
public sealed record TopologyCanary(string Namespace, string Service, string Version, string Label)
{
    /// <summary>Null unless the rollout is live (progressing, paused or waiting for approval): only then does it own the split.</summary>
    public static TopologyCanary? Of(Rollout rollout, RolloutStatus status)
    {
        if (!RolloutStatuses.IsLive(status.Phase)) return null;
        var inv = CultureInfo.InvariantCulture;
        var mirror = RolloutStatuses.MirrorPercent(rollout, status) is { } percent ? string.Create(inv, $" · mirroring {percent}%") : "";
        return new TopologyCanary(rollout.Metadata.Namespace, rollout.Service, rollout.CanaryVersion,
            string.Create(inv, $"canary {status.Weight}%{mirror} · step {RolloutStatuses.StepText(status)} · {status.Phase}"));
    }
}
