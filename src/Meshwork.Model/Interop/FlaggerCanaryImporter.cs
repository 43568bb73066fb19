using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// Flagger Canary (flagger.app/v1beta1) as a Rollout. Flagger runs the target as "primary"
/// (stable) and "canary"; those are the version names written. Its weight schedule (stepWeight up
/// to maxWeight, or stepWeights) becomes setWeight steps, each held for one analysis interval;
/// the built-in metrics become the analysis thresholds. mirror: true becomes a mirror step before the
/// first weight (Flagger's mirroring pre-stage), or one per iteration for Blue/Green mirroring.
/// </summary>
internal static class FlaggerCanaryImporter
{
    public const string StableVersion = "primary";
    public const string CanaryVersion = "canary";

    public static void Translate(DocumentReader document, ImportSession session)
    {
        if (document.MetadataAndSpec() is not var (metadata, spec))
            return;
        const string none = "has no equivalent in Meshwork (it moves traffic; deployments are not its business); ignored";
        foreach (var field in new[] { "autoscalerRef", "ingressRef", "upstreamRef", "progressDeadlineSeconds", "skipAnalysis", "revertOnDeletion", "suspend", "provider", "metricsServer" })
            spec.Unsupported(field, none);
        var target = spec.Field("targetRef");
        target?.Ignore("apiVersion", "kind");
        var service = spec.Field("service")?.String("name") ?? target?.String("name");
        spec.Field("service")?.Ignore("port", "targetPort", "portName", "portDiscovery", "hosts", "gateways", "trafficPolicy", "retries", "timeout", "headers", "corsPolicy", "match", "rewrite", "appProtocol", "apex", "primary", "canary", "backends", "gatewayRefs");
        if (string.IsNullOrEmpty(service))
        {
            document.Error(spec.FieldPath("targetRef.name"), "is required: it names the service the canary moves");
            return;
        }
        // analysis, or canaryAnalysis before Flagger 1.0.
        var analysis = spec.Field("analysis") ?? spec.Field("canaryAnalysis");
        if (analysis is null)
        {
            document.Error(spec.FieldPath("analysis"), "is required: it holds the weight schedule");
            return;
        }
        var webhooks = Webhooks(analysis, document);
        foreach (var field in new[] { "alerts", "sessionAffinity", "primaryReadyThreshold", "canaryReadyThreshold", "stepWeightPromotion" })
            analysis.Unsupported(field, "has no equivalent in Meshwork's rollouts; ignored");
        var interval = analysis.Duration("interval") ?? new RolloutAnalysis().Interval;
        var mirror = Mirror(analysis, document);
        var abTesting = analysis.Items("match").Count > 0;
        var iterationsOnly = analysis.Int("stepWeight") is null && analysis.Items("stepWeights").Count == 0;
        List<RolloutStep> steps;
        if (mirror is not null && iterationsOnly && !abTesting && analysis.Int("iterations") is { } iterations)
        {
            // Blue/Green with mirroring: every iteration mirrors, nothing is shifted before the promotion.
            document.Note(analysis.FieldPath("iterations"), $"Blue/Green mirroring: written as {iterations} mirror steps of {mirror.Percent}%, each judged over one interval");
            steps = Enumerable.Repeat(new RolloutStep { Mirror = mirror }, Math.Max(1, iterations)).ToList();
        }
        else
        {
            steps = Weights(analysis, document)
                .SelectMany(w => new[] { new RolloutStep { SetWeight = w }, new RolloutStep { Pause = new RolloutPause { Duration = interval } } })
                .ToList();
            if (mirror is not null && abTesting)
                document.Warning(analysis.FieldPath("mirror"), "Flagger does not mirror in A/B testing; ignored");
            else if (mirror is not null)
                // Flagger's pre-stage: one interval of mirrored traffic before the first weight.
                steps.Insert(0, new RolloutStep { Mirror = mirror });
        }
        var defaults = new RolloutAnalysis();
        var successRate = defaults.MinSuccessRatePercent;
        var latency = defaults.MaxLatencyP99;
        foreach (var metric in analysis.Items("metrics"))
        {
            metric.Ignore("interval");
            var range = metric.Field("thresholdRange");
            switch (metric.String("name"))
            {
                case "request-success-rate" when range?.Double("min") is { } min:
                    successRate = min;
                    break;
                case "request-duration" when range?.Double("max") is { } max:
                    latency = TimeSpan.FromMilliseconds(max);
                    break;
                default:
                    metric.Ignore("name", "templateRef", "query", "threshold", "thresholdRange", "templateVariables");
                    range?.Ignore("min", "max");
                    document.Warning(metric.Path, "only the built-in request-success-rate (min) and request-duration (max, milliseconds) metrics have an equivalent; ignored");
                    break;
            }
        }
        HeaderMatch? canaryHeader = null;
        var matches = analysis.Items("match");
        if (matches.Count > 0)
        {
            var headers = matches[0].Entries("headers");
            if (headers.Count > 0 && headers[0].Value.String("exact") is { } exact)
                canaryHeader = new HeaderMatch { Name = headers[0].Key, Value = exact };
            else if (headers.Count > 0 && headers[0].Value.String("regex") is { } regex)
                canaryHeader = new HeaderMatch { Name = headers[0].Key, Type = StringMatchType.RegularExpression, Value = regex };
            if (matches.Count > 1 || headers.Count > 1)
                document.Warning(analysis.FieldPath("match"), "Meshwork's rollout takes one canary header; the first is used");
        }
        document.Note(document.Root.Path, $"the service's versions must be named '{StableVersion}' (stable) and '{CanaryVersion}', as Flagger names its deployments");
        session.Add(new Rollout
        {
            Metadata = metadata,
            Service = service,
            StableVersion = StableVersion,
            CanaryVersion = CanaryVersion,
            Steps = steps,
            CanaryHeader = canaryHeader,
            Webhooks = webhooks,
            Analysis = new RolloutAnalysis
            {
                Interval = interval,
                FailureLimit = analysis.Int("threshold") ?? defaults.FailureLimit,
                MinSuccessRatePercent = successRate,
                MaxLatencyP99 = latency,
            },
        }, document);
    }

    /// <summary>
    /// The webhooks whose Flagger type has a Meshwork equivalent: <c>event</c> (told of every event) and
    /// <c>confirm-traffic-increase</c> (the advancement waits for a 2xx), as a preStep gate. The others
    /// (rollout, the default, and pre-rollout count failures towards the rollback; confirm-rollout,
    /// confirm-promotion, post-rollout, rollback) act at points our rollout has no hook for: warned and dropped.
    /// </summary>
    private static IReadOnlyList<RolloutWebhook> Webhooks(SpecNode analysis, DocumentReader document)
    {
        var webhooks = new List<RolloutWebhook>();
        foreach (var hook in analysis.Items("webhooks"))
        {
            var type = hook.String("type") ?? "rollout";
            RolloutWebhookType? ours = type switch
            {
                "event" => RolloutWebhookType.Event,
                "confirm-traffic-increase" => RolloutWebhookType.PreStep,
                _ => null,
            };
            if (ours is null || hook.String("name") is not { } name || hook.String("url") is not { } url)
            {
                hook.Ignore("name", "url", "timeout", "retries", "metadata", "muteAlert");
                document.Warning(hook.Path, ours is null
                    ? $"a Flagger '{type}' webhook has no equivalent in Meshwork's rollouts (only event and confirm-traffic-increase do); ignored"
                    : "needs a name and a url; ignored");
                continue;
            }
            if (type == "confirm-traffic-increase")
                document.Note(hook.FieldPath("type"), "a preStep gate: asked before every step, pauses included, not only before a weight increase");
            hook.Unsupported("metadata", "is not sent: Meshwork's webhook body is fixed (docs/rollouts.md); ignored");
            hook.Unsupported("muteAlert", "has no equivalent; ignored");
            var webhook = new RolloutWebhook { Name = name, Url = url, Type = ours.Value };
            if (hook.Duration("timeout") is { } timeout)
                webhook = webhook with { Timeout = timeout };
            if (hook.Int("retries") is { } retries)
                webhook = webhook with { Retries = retries };
            webhooks.Add(webhook);
        }
        return webhooks;
    }

    /// <summary>
    /// mirror: true with mirrorWeight (the share copied, default 100), as a Meshwork mirror step; mirrorWeight
    /// without mirror: true does nothing in Flagger either.
    /// </summary>
    private static RolloutMirror? Mirror(SpecNode analysis, DocumentReader document)
    {
        var percent = analysis.Int("mirrorWeight");
        if (analysis.Bool("mirror") != true)
        {
            if (percent is not null)
                document.Note(analysis.FieldPath("mirrorWeight"), "without mirror: true nothing is mirrored; ignored");
            return null;
        }
        return new RolloutMirror { Percent = percent ?? 100 };
    }

    /// <summary>stepWeights as given; else stepWeight, 2*stepWeight, ... up to maxWeight (default 50); A/B (iterations): 100% to matching requests only, held for the iterations.</summary>
    private static IReadOnlyList<int> Weights(SpecNode analysis, DocumentReader document)
    {
        var explicitWeights = analysis.Items("stepWeights").Select(w => int.TryParse(w.Scalar(), out var v) ? v : -1).ToList();
        if (explicitWeights.Count > 0)
            return explicitWeights;
        var step = analysis.Int("stepWeight");
        var max = analysis.Int("maxWeight") ?? 50;
        if (analysis.Int("iterations") is { } iterations && step is null)
        {
            document.Note(analysis.FieldPath("iterations"), $"A/B testing: {iterations} intervals with matching requests on the canary, written as setWeight 0 held for {iterations} intervals");
            return Enumerable.Repeat(0, Math.Max(1, iterations)).ToList();
        }
        if (step is not > 0)
        {
            document.Error(analysis.FieldPath("stepWeight"), "is required (or stepWeights, or iterations for A/B testing)");
            return [];
        }
        return Enumerable.Range(1, max / step.Value).Select(i => i * step.Value).ToList();
    }
}
