using Meshwork.Model.Interop;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Interop;

/// <summary>Flagger Canary and Argo Rollouts canary steps as our Rollout (Fixtures/progressive-delivery.yaml).</summary>
public class ProgressiveDeliveryImportTests
{
    private static readonly ImportResult Result = Fixtures.Import("progressive-delivery.yaml");

    [Fact]
    public void FlaggerCanary_StepWeightUpToMaxWeight_EachHeldForAnInterval_WithTheBuiltInMetrics()
    {
        var rollout = Result.Single<Rollout>("podinfo");
        Assert.Equal(("podinfo", "primary", "canary"), (rollout.Service, rollout.StableVersion, rollout.CanaryVersion));
        Assert.Equal([10, 20, 30, 40, 50], rollout.Steps.Where(s => s.SetWeight is not null).Select(s => s.SetWeight!.Value));
        Assert.All(rollout.Steps.Where(s => s.Pause is not null), s => Assert.Equal(TimeSpan.FromMinutes(1), s.Pause!.Duration));
        Assert.Equal((TimeSpan.FromMinutes(1), 5, 99.0, TimeSpan.FromMilliseconds(500)),
            (rollout.Analysis.Interval, rollout.Analysis.FailureLimit, rollout.Analysis.MinSuccessRatePercent, rollout.Analysis.MaxLatencyP99));
        Result.At("[0].spec.analysis.metrics[2]");
        Result.At("[0].spec.analysis.webhooks[0]"); // type rollout (the default): no equivalent
        Assert.Equal(
            [
                new RolloutWebhook { Name = "gate", Url = "http://flagger-loadtester.test/gate/check", Type = RolloutWebhookType.PreStep, Timeout = TimeSpan.FromSeconds(15) },
                new RolloutWebhook { Name = "notify", Url = "http://event-recevier.notifications/slack", Type = RolloutWebhookType.Event },
            ],
            rollout.Webhooks);
        Result.At("[0].spec.analysis.webhooks[1].type", InteropSeverity.Note);
        Result.At("[0].spec.analysis.webhooks[2].metadata");
        Result.At("[0].spec.autoscalerRef");
        Result.At("[0].spec.progressDeadlineSeconds");
        Result.NothingAt("[0].spec.service");
    }

    [Fact]
    public void FlaggerCanary_ABTesting_KeepsTheCanaryHeader()
    {
        var rollout = Result.Single<Rollout>("abtest");
        Assert.Equal(new HeaderMatch { Name = "x-canary", Value = "insider" }, rollout.CanaryHeader);
        Assert.All(rollout.Steps.Where(s => s.SetWeight is not null), s => Assert.Equal(0, s.SetWeight));
        Result.At("[1].spec.analysis.iterations", InteropSeverity.Note);
    }

    [Fact]
    public void ArgoRollout_SetWeightAndPauseSteps_CarryOver_PauseWithoutDurationWaitsForApproval()
    {
        var rollout = Result.Single<Rollout>("rollouts-demo");
        Assert.Equal(("rollouts-demo", "stable", "canary"), (rollout.Service, rollout.StableVersion, rollout.CanaryVersion));
        Assert.Equal(
            ["w20", "pause", "w40", "pause 00:00:10", "w60", "pause 01:00:00", "w80"],
            rollout.Steps.Select(s => s.SetWeight is { } w ? $"w{w}" : s.Pause!.Duration is { } d ? $"pause {d:hh\\:mm\\:ss}" : "pause"));
        Result.At("[2].spec.strategy.canary.steps[6].analysis");
        Result.At("[2].spec.strategy.canary.maxSurge");
        Result.NothingAt("[2].spec.template");
    }

    [Fact]
    public void FlaggerCanary_Mirror_IsAMirrorStepOfMirrorWeightBeforeTheFirstWeight()
    {
        var rollout = Result.Single<Rollout>("mirrored");
        Assert.Equal(["mirror 50", "w20", "pause", "w40", "pause"], rollout.Steps.Select(Describe));
        Result.NothingAt("[4].spec.analysis.mirror");
        Result.NothingAt("[4].spec.analysis.mirrorWeight");
    }

    [Fact]
    public void FlaggerCanary_BlueGreenMirroring_EachIterationAMirrorStepOf100()
    {
        var rollout = Result.Single<Rollout>("bluegreen-mirror");
        Assert.Equal(["mirror 100", "mirror 100"], rollout.Steps.Select(Describe));
        Result.At("[5].spec.analysis.iterations", InteropSeverity.Note);
    }

    [Fact]
    public void ArgoRollout_SetMirrorRoute_IsAMirrorStep_ItsMatchWarned_ItsRemovalLeftOut()
    {
        var rollout = Result.Single<Rollout>("argo-mirror");
        Assert.Equal(["mirror 35", "pause", "w50"], rollout.Steps.Select(Describe));
        Result.At("[6].spec.strategy.canary.steps[0].setMirrorRoute.match");
        Result.At("[6].spec.strategy.canary.steps[2].setMirrorRoute", InteropSeverity.Note);
    }

    private static string Describe(RolloutStep step) =>
        step.SetWeight is { } w ? $"w{w}" : step.Mirror is { } m ? $"mirror {m.Percent}" : "pause";

    [Fact]
    public void ArgoRollout_BlueGreen_IsAnError() =>
        Result.At("[3].spec.strategy.blueGreen", InteropSeverity.Error);
}
