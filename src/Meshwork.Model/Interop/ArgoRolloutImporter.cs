using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.Model.Interop;

/// <summary>
/// Argo Rollouts Rollout (argoproj.io/v1alpha1) canary steps as a Rollout: setWeight, pause and
/// setMirrorRoute (as a mirror step) carry over into a Rollout of the service named after it; Argo labels the two ReplicaSets
/// "stable" and "canary", the version names written. The pod template and replica counts are deployment concerns Meshwork leaves alone.
/// </summary>
internal static class ArgoRolloutImporter
{
    public static void Translate(DocumentReader document, ImportSession session)
    {
        if (document.MetadataAndSpec() is not var (metadata, spec))
            return;
        // Deployment concerns: Meshwork moves traffic and does not run pods.
        spec.Ignore("replicas", "selector", "template", "workloadRef", "minReadySeconds", "revisionHistoryLimit", "paused", "progressDeadlineSeconds", "progressDeadlineAbort", "restartAt", "rollbackWindow");
        var strategy = spec.Field("strategy");
        if (strategy?.Has("blueGreen") == true)
        {
            strategy.Ignore("blueGreen");
            document.Error(strategy.FieldPath("blueGreen"), "blue-green has no equivalent; Meshwork rollouts are canaries");
            return;
        }
        var canary = strategy?.Field("canary");
        if (canary is null)
        {
            document.Error(spec.FieldPath("strategy.canary"), "is required");
            return;
        }
        foreach (var field in new[] { "analysis", "trafficRouting", "maxSurge", "maxUnavailable", "antiAffinity", "canaryMetadata", "stableMetadata", "scaleDownDelaySeconds", "dynamicStableScale", "abortScaleDownDelaySeconds", "pingPong", "minPodsPerReplicaSet", "replicaProgressThreshold" })
            canary.Unsupported(field, "has no equivalent in Meshwork's rollouts; ignored");
        // Argo's stableService/canaryService are two Kubernetes Services of one app; in Meshwork they are two versions of the service named after the rollout.
        var service = metadata.Name;
        canary.Ignore("stableService", "canaryService");
        var steps = new List<RolloutStep>();
        foreach (var step in canary.Items("steps"))
        {
            if (step.Int("setWeight") is { } weight)
                steps.Add(new RolloutStep { SetWeight = weight });
            else if (step.Has("pause"))
                steps.Add(new RolloutStep { Pause = new RolloutPause { Duration = Pause(step.Field("pause"), document) } });
            else if (step.Field("setMirrorRoute") is { } mirror && MirrorStep(mirror, document) is { } mirrorStep)
                steps.Add(mirrorStep);
            foreach (var field in new[] { "analysis", "experiment", "setCanaryScale", "setHeaderRoute", "plugin" })
                step.Unsupported(field, "this step has no equivalent in Meshwork's rollouts; left out");
        }
        document.Note(document.Root.Path, $"the service '{service}' must have versions named 'stable' and 'canary', as Argo Rollouts labels its ReplicaSets");
        session.Add(new Rollout
        {
            Metadata = metadata,
            Service = service,
            StableVersion = "stable",
            CanaryVersion = "canary",
            Steps = steps,
        }, document);
    }

    /// <summary>
    /// setMirrorRoute with match conditions mirrors its percentage to the canary (default 100) until a later
    /// setMirrorRoute of the same name without them removes it. A Meshwork mirror step copies every request of
    /// the rules the rollout splits and lasts until its analysis interval passes: the first becomes a mirror step,
    /// the removal has nothing left to do.
    /// </summary>
    private static RolloutStep? MirrorStep(SpecNode mirror, DocumentReader document)
    {
        mirror.Ignore("name");
        if (mirror.Items("match") is not { Count: > 0 } matches)
        {
            document.Note(mirror.Path, "removes a mirror route; a Meshwork mirror step ends by itself when its analysis interval passes; left out");
            return null;
        }
        foreach (var match in matches) match.Ignore("method", "path", "headers");
        document.Warning(mirror.FieldPath("match"),
            "a Meshwork mirror step copies every request of the rules the rollout splits, and lasts until one analysis interval passes (not until a later setMirrorRoute removes it); the match conditions are ignored");
        return new RolloutStep { Mirror = new RolloutMirror { Percent = mirror.Int("percentage") ?? 100 } };
    }

    /// <summary>pause.duration: a duration string ("1h") or whole seconds; none: wait for an operator.</summary>
    private static TimeSpan? Pause(SpecNode? pause, DocumentReader document)
    {
        var node = pause?.Field("duration");
        if (node?.Scalar() is not { } text)
            return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return TimeSpan.FromSeconds(seconds);
        if (Durations.TryParse(text, out var duration))
            return duration;
        document.Error(node.Path, Durations.FormatError(text));
        return null;
    }
}
