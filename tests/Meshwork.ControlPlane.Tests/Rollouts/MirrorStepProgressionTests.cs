using Meshwork.ControlPlane.Rollouts;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.ControlPlane.Tests.Rollouts;

/// <summary>Mirror steps in the state machine: when the mirror is on, what completes the step, and every way it ends.</summary>
public sealed class MirrorStepProgressionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static Rollout Spec(int failureLimit = 1, IReadOnlyList<RolloutWebhook>? webhooks = null) => new()
    {
        Metadata = new ResourceMetadata { Name = "orders", Version = 3 },
        Service = "orders",
        StableVersion = "v1",
        CanaryVersion = "v2",
        Steps = [new RolloutStep { SetWeight = 10 }, new RolloutStep { Mirror = new RolloutMirror { Percent = 40 } }, new RolloutStep { SetWeight = 50 }],
        Analysis = new RolloutAnalysis { FailureLimit = failureLimit },
        Webhooks = webhooks ?? [],
    };

    private static RolloutStatus Next(Rollout spec, RolloutStatus? state, int seconds, AnalysisVerdict? verdict = null, RolloutProgression.StepGate? gate = null) =>
        RolloutProgression.Next(spec, spec.Metadata.Version, state, T0.AddSeconds(seconds),
            verdict is { } v ? new RolloutAnalysisResult { At = T0, Verdict = v, Reason = v.ToString() } : null, gate);

    /// <summary>At the mirror step, mirroring: step 1 passed.</summary>
    private static RolloutStatus AtMirror(Rollout spec) => Next(spec, Next(spec, null, 0), 10, AnalysisVerdict.Passed);

    [Fact]
    public void MirrorStep_KeepsTheWeight_MirrorsFromItsStart_APassedAnalysisMovesOnWithoutIt()
    {
        var spec = Spec();
        var mirroring = AtMirror(spec);
        Assert.Equal((RolloutPhase.Progressing, 1, 10, 40), (mirroring.Phase, mirroring.Step, mirroring.Weight, RolloutStatuses.MirrorPercent(spec, mirroring)));
        var started = Assert.Single(mirroring.History, d => d.Action == RolloutProgression.MirrorStarted);
        Assert.Equal("step 2: 40% of requests copied to canary v2, its answers dropped; live traffic stays at 10% canary", started.Message);

        // Waiting, and an inconclusive interval, neither end the step nor record the mirror again.
        var waiting = Next(spec, Next(spec, mirroring, 20), 30, AnalysisVerdict.Inconclusive);
        Assert.Equal((1, 10, 40), (waiting.Step, waiting.Weight, RolloutStatuses.MirrorPercent(spec, waiting)));
        Assert.Single(waiting.History, d => d.Action == RolloutProgression.MirrorStarted);

        var passed = Next(spec, waiting, 40, AnalysisVerdict.Passed);
        Assert.Equal((2, 50, (int?)null), (passed.Step, passed.Weight, RolloutStatuses.MirrorPercent(spec, passed)));
        Assert.Contains(passed.History, d => d.Action == "AnalysisPassed" && d.Message.StartsWith("step 2, 40% mirrored to the canary at 10%", StringComparison.Ordinal));
    }

    [Fact]
    public void FailuresDuringTheMirror_RollBack_AndTheMirrorIsOff()
    {
        var spec = Spec(failureLimit: 0);
        var rolledBack = Next(spec, AtMirror(spec), 20, AnalysisVerdict.Failed);
        Assert.Equal((RolloutPhase.RolledBack, 0), (rolledBack.Phase, rolledBack.Weight));
        Assert.Null(RolloutStatuses.MirrorPercent(spec, rolledBack));
    }

    [Theory]
    [InlineData(RolloutCommand.Promote, null)]
    [InlineData(RolloutCommand.Abort, null)]
    [InlineData(RolloutCommand.PromoteFull, null)]
    [InlineData(RolloutCommand.Pause, 40)]
    public void Commands_EndTheMirror_ExceptPause(RolloutCommand command, int? mirrorAfter)
    {
        var spec = Spec();
        var after = Next(spec, AtMirror(spec) with { Pending = new PendingRolloutCommand(command, "alice", T0) }, 20);
        Assert.Equal(mirrorAfter, RolloutStatuses.MirrorPercent(spec, after));
    }

    [Fact]
    public void HeldByAPreStepGate_NoMirrorUntilItOpens()
    {
        var spec = Spec(webhooks: [new RolloutWebhook { Name = "smoke", Url = "http://127.0.0.1:1/", Type = RolloutWebhookType.PreStep }]);
        string? answer = null;
        var first = Next(spec, null, 0, gate: (_, _) => answer);
        answer = "held by smoke";
        var held = Next(spec, first, 10, AnalysisVerdict.Passed, (_, _) => answer);
        Assert.Equal((1, "held by smoke", (int?)null), (held.Step, held.Message, RolloutStatuses.MirrorPercent(spec, held)));

        answer = null;
        var opened = Next(spec, held, 20, gate: (_, _) => answer);
        Assert.Equal(40, RolloutStatuses.MirrorPercent(spec, opened));
    }
}
