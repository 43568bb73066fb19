using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>Flagger / Argo Rollouts style progressive delivery between two versions of one service.</summary>
internal static class RolloutRules
{
    public static readonly TimeSpan MaxPause = TimeSpan.FromDays(7);
    public const int MaxSteps = 64;

    public static void Check(Checks checks, Rollout rollout)
    {
        var ns = rollout.Metadata?.Namespace ?? ResourceMetadata.DefaultNamespace;
        var service = checks.KnownService("service", rollout.Service, ns);
        if (service is not null)
        {
            checks.KnownVersion("stableVersion", service, rollout.StableVersion);
            checks.KnownVersion("canaryVersion", service, rollout.CanaryVersion);
        }
        else
        {
            checks.DnsLabel("stableVersion", rollout.StableVersion);
            checks.DnsLabel("canaryVersion", rollout.CanaryVersion);
        }
        OnePerService.Check(checks, rollout);
        if (rollout.StableVersion is not null && rollout.StableVersion == rollout.CanaryVersion)
            checks.Error("canaryVersion", $"must differ from stableVersion; both are '{rollout.StableVersion}'");

        if (rollout.Steps is { Count: 0 })
            checks.Error("steps", "list at least one step, such as setWeight: 10");
        var steps = checks.MaxItems("steps", rollout.Steps, MaxSteps) ? rollout.Steps ?? [] : [];
        var previous = (Index: -1, Weight: 0);
        for (var i = 0; i < steps.Count; i++)
        {
            var path = $"steps[{i}]";
            if (steps[i] is not { } step)
            {
                checks.Error(path, "must not be empty");
                continue;
            }
            var kinds = StepKinds(step);
            if (kinds.Count == 0)
                checks.Error(path, "set one of setWeight, pause or mirror");
            else if (kinds.Count > 1)
                checks.Error(path, $"set only one of setWeight, pause or mirror, not {string.Join(" and ", kinds)}; use one step for each");
            if (step.SetWeight is { } weight)
            {
                if (weight is < 0 or > 100)
                    checks.Error($"{path}.setWeight", $"must be a percentage between 0 and 100, was {weight}");
                else if (previous.Index >= 0 && weight < previous.Weight)
                    checks.Error($"{path}.setWeight", $"must not be lower than the weight of steps[{previous.Index}] ({previous.Weight}), was {weight}; a rollout only moves traffic forward");
                else
                    previous = (i, weight);
            }
            if (step.Pause?.Duration is { } duration)
                checks.PositiveDuration($"{path}.pause.duration", duration, MaxPause);
            if (step.Mirror is { Percent: < 1 or > 100 } mirror)
                checks.Error($"{path}.mirror.percent", $"must be a percentage between 1 and 100, was {mirror.Percent}");
        }

        if (checks.Required("analysis", rollout.Analysis))
        {
            var analysis = rollout.Analysis;
            checks.PositiveDuration("analysis.interval", analysis.Interval, min: TimeSpan.FromSeconds(1));
            checks.Percent("analysis.minSuccessRatePercent", analysis.MinSuccessRatePercent);
            checks.PositiveDuration("analysis.maxLatencyP99", analysis.MaxLatencyP99, TimeSpan.FromMinutes(10));
            checks.AtLeast("analysis.failureLimit", analysis.FailureLimit, 0);
            checks.AtLeast("analysis.minRequests", analysis.MinRequests, 0);
        }
        if (rollout.CanaryHeader is { } header)
        {
            checks.HeaderName("canaryHeader.name", header.Name);
            HttpRouteRules.StringMatch(checks, "canaryHeader", header.Type, header.Value);
            // The proxy compares the whole Cookie header: an exact value matches only a request sending that one cookie alone.
            if (string.Equals(header.Name, "cookie", StringComparison.OrdinalIgnoreCase) && header.Type == StringMatchType.Exact)
                checks.Warning("canaryHeader.type",
                    "an exact match compares the whole Cookie header, which usually carries several cookies; use type regularExpression, which must match the whole header, such as '(.*;\\s*)?canary=always(;.*)?'");
        }
        RolloutWebhookRules.Check(checks, rollout.Webhooks);
    }

    private static List<string> StepKinds(RolloutStep step)
    {
        var kinds = new List<string>();
        if (step.SetWeight is not null) kinds.Add("setWeight");
        if (step.Pause is not null) kinds.Add("pause");
        if (step.Mirror is not null) kinds.Add("mirror");
        return kinds;
    }
}
