using Meshwork.ControlPlane.Rollouts;
using Meshwork.ControlPlane.Stats;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.ControlPlane.Tests.Rollouts;

/// <summary>The state machine and the analysis verdict on their own: every transition the controller relies on.</summary>
public sealed class RolloutProgressionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static Rollout Spec(bool autoPromote = true, int failureLimit = 1, params RolloutStep[] steps) => new()
    {
        Metadata = new ResourceMetadata { Name = "orders", Version = 4 },
        Service = "orders",
        StableVersion = "v1",
        CanaryVersion = "v2",
        Steps = steps,
        AutoPromote = autoPromote,
        Analysis = new RolloutAnalysis { FailureLimit = failureLimit, MinRequests = 10 },
    };

    private static RolloutStep Weight(int w) => new() { SetWeight = w };
    private static RolloutStep Pause(int? seconds) => new() { Pause = new RolloutPause { Duration = seconds is { } s ? TimeSpan.FromSeconds(s) : null } };

    private static RolloutAnalysisResult Verdict(AnalysisVerdict verdict) => new() { At = T0, Verdict = verdict, Reason = verdict.ToString() };

    private static RolloutStatus Next(Rollout spec, RolloutStatus? state, int seconds = 0, AnalysisVerdict? verdict = null) =>
        RolloutProgression.Next(spec, spec.Metadata.Version, state, T0.AddSeconds(seconds), verdict is { } v ? Verdict(v) : null);

    [Fact]
    public void NewRollout_SetsTheFirstWeight_AndWaitsForAPassingAnalysis()
    {
        var spec = Spec(steps: [Weight(20), Weight(60)]);
        var state = Next(spec, null);
        Assert.Equal((RolloutPhase.Progressing, 0, 20), (state.Phase, state.Step, state.Weight));
        Assert.Equal(state, Next(spec, state, 5) with { StepStartedAt = state.StepStartedAt });

        var passed = Next(spec, state, 10, AnalysisVerdict.Passed);
        Assert.Equal((1, 60), (passed.Step, passed.Weight));
        var done = Next(spec, passed, 20, AnalysisVerdict.Passed);
        Assert.Equal((RolloutPhase.Promoted, 2, 100), (done.Phase, done.Step, done.Weight));
    }

    [Fact]
    public void Inconclusive_NeitherAdvancesNorCountsAFailure()
    {
        var spec = Spec(steps: [Weight(20), Weight(60)]);
        var state = Next(spec, null);
        var after = Next(spec, Next(spec, state, 10, AnalysisVerdict.Inconclusive), 20, AnalysisVerdict.Inconclusive);
        Assert.Equal((RolloutPhase.Progressing, 0, 20, 0), (after.Phase, after.Step, after.Weight, after.ConsecutiveFailures));
        Assert.Single(after.History, d => d.Action == "Inconclusive");
    }

    [Fact]
    public void FailuresBeyondTheLimit_RollBackToStable_APassInBetweenResetsTheCount()
    {
        var spec = Spec(failureLimit: 1, steps: [Weight(20), Weight(60)]);
        var state = Next(spec, null);
        state = Next(spec, state, 10, AnalysisVerdict.Failed);
        Assert.Equal((RolloutPhase.Progressing, 1), (state.Phase, state.ConsecutiveFailures));
        var rolledBack = Next(spec, state, 20, AnalysisVerdict.Failed);
        Assert.Equal((RolloutPhase.RolledBack, 0), (rolledBack.Phase, rolledBack.Weight));

        var recovered = Next(spec, Next(spec, state, 20, AnalysisVerdict.Passed), 30, AnalysisVerdict.Failed);
        Assert.Equal((RolloutPhase.Progressing, 1), (recovered.Phase, recovered.ConsecutiveFailures));
    }

    [Fact]
    public void EveryAnalysisIsRecorded_TheDecisionsItMadeCarryIt_RetryClearsThem()
    {
        var spec = Spec(failureLimit: 0, steps: [Weight(20), Pause(null)]);
        var state = Next(spec, null);
        state = Next(spec, state, 10, AnalysisVerdict.Passed); // completes step 1
        state = Next(spec, state, 20, AnalysisVerdict.Passed); // at the untimed pause: decides nothing, recorded still
        Assert.Equal(2, state.Analyses.Count);
        Assert.Equal(AnalysisVerdict.Passed, Assert.Single(state.History, d => d.Action == "AnalysisPassed").Analysis?.Verdict);

        var rolledBack = Next(spec, state, 30, AnalysisVerdict.Failed);
        Assert.Equal(3, rolledBack.Analyses.Count);
        Assert.Equal(AnalysisVerdict.Failed, rolledBack.History.Single(d => d.Action == "AnalysisFailed").Analysis?.Verdict);
        Assert.Equal(AnalysisVerdict.Failed, rolledBack.History.Single(d => d.Action == "RolledBack").Analysis?.Verdict);
        Assert.All(rolledBack.History.Where(d => d.Action is "Started" or "WeightSet" or "WaitingForApproval"), d => Assert.Null(d.Analysis));

        var retried = Next(spec, rolledBack with { Pending = new PendingRolloutCommand(RolloutCommand.Retry, "alice", T0) }, 40);
        Assert.Empty(retried.Analyses);
    }

    [Fact]
    public void TimedPause_EndsAfterItsDuration_UntimedPauseWaitsForPromote()
    {
        var spec = Spec(steps: [Weight(20), Pause(30), Pause(null), Weight(50)]);
        var state = Next(spec, Next(spec, null), 10, AnalysisVerdict.Passed);
        Assert.Equal(1, state.Step);
        Assert.Equal(1, Next(spec, state, 39).Step);
        var waiting = Next(spec, state, 40);
        Assert.Equal((RolloutPhase.WaitingForApproval, 2, 20), (waiting.Phase, waiting.Step, waiting.Weight));
        Assert.Equal(waiting.Phase, Next(spec, waiting, 500).Phase);

        var promoted = Next(spec, waiting with { Pending = new PendingRolloutCommand(RolloutCommand.Promote, "alice", T0) }, 600);
        Assert.Equal((RolloutPhase.Progressing, 3, 50), (promoted.Phase, promoted.Step, promoted.Weight));
        Assert.Contains(promoted.History, d => d.Action == "Promoted" && d.Actor == "alice");
    }

    [Fact]
    public void Commands_PauseResumeAbortRetryAndPromoteFull()
    {
        var spec = Spec(steps: [Weight(20), Weight(60)]);
        var state = Next(spec, null);
        RolloutStatus With(RolloutStatus s, RolloutCommand c) => Next(spec, s with { Pending = new PendingRolloutCommand(c, "bob", T0) }, 1);

        var paused = With(state, RolloutCommand.Pause);
        Assert.Equal((RolloutPhase.Paused, 20), (paused.Phase, paused.Weight));
        Assert.Equal(0, Next(spec, paused, 10, AnalysisVerdict.Passed).Step);
        Assert.Equal(RolloutPhase.Progressing, With(paused, RolloutCommand.Resume).Phase);

        var aborted = With(state, RolloutCommand.Abort);
        Assert.Equal((RolloutPhase.Aborted, 0), (aborted.Phase, aborted.Weight));
        Assert.Contains(With(aborted, RolloutCommand.Resume).History, d => d.Action == "Ignored");
        var retried = With(aborted, RolloutCommand.Retry);
        Assert.Equal((RolloutPhase.Progressing, 0, 20), (retried.Phase, retried.Step, retried.Weight));

        var full = With(state, RolloutCommand.PromoteFull);
        Assert.Equal((RolloutPhase.Promoted, 100), (full.Phase, full.Weight));
    }

    [Fact]
    public void WithoutAutoPromote_WaitsAfterTheLastStep()
    {
        var spec = Spec(autoPromote: false, steps: [Weight(50)]);
        var waiting = Next(spec, Next(spec, null), 10, AnalysisVerdict.Passed);
        Assert.Equal((RolloutPhase.WaitingForApproval, 1, 50), (waiting.Phase, waiting.Step, waiting.Weight));
    }

    [Fact]
    public void ChangedSpec_StartsAgain()
    {
        var spec = Spec(steps: [Weight(20), Weight(60)]);
        var state = Next(spec, Next(spec, null), 10, AnalysisVerdict.Passed);
        var changed = spec with { Metadata = spec.Metadata with { Version = 5 } };
        var restarted = Next(changed, state, 20);
        Assert.Equal((5L, 0, 20), (restarted.RolloutVersion, restarted.Step, restarted.Weight));
    }

    [Fact]
    public void Analysis_FewRequestsInconclusive_CanaryWorseThanStableFails_BothFailingInconclusive()
    {
        var spec = new RolloutAnalysis { MinSuccessRatePercent = 99, MaxLatencyP99 = TimeSpan.FromMilliseconds(500), MinRequests = 20 };
        var healthy = new SignalTotals(100, 0, []);
        var failing = new SignalTotals(100, 20, []);

        var few = CanaryAnalysis.Evaluate(spec, new SignalTotals(5, 5, []), healthy, 50, TimeSpan.FromSeconds(30), T0);
        Assert.Equal(AnalysisVerdict.Inconclusive, few.Verdict);
        Assert.Contains("5 canary requests in 30 s, at least 20 needed", few.Reason);

        var failed = CanaryAnalysis.Evaluate(spec, failing, healthy, 50, TimeSpan.FromSeconds(30), T0);
        Assert.Equal(AnalysisVerdict.Failed, failed.Verdict);
        Assert.Contains("success rate 80% < 99%", failed.Reason);
        Assert.Equal(new AnalysisCheck(CanaryAnalysis.SuccessRate, 80, 99, false), failed.Checks[0]);

        Assert.Equal(AnalysisVerdict.Inconclusive, CanaryAnalysis.Evaluate(spec, failing, failing, 50, TimeSpan.FromSeconds(30), T0).Verdict);
        Assert.Equal(AnalysisVerdict.Passed, CanaryAnalysis.Evaluate(spec, healthy, failing, 50, TimeSpan.FromSeconds(30), T0).Verdict);
    }

    [Fact]
    public void Weight0WithoutAbRouting_NothingReachesTheCanary_TheStepEndsAfterOneIntervalWithNothingJudged()
    {
        var spec = Spec(steps: [Weight(0), Weight(0), Weight(20)]);
        var state = Next(spec, null);
        Assert.Equal((0, 0), (state.Step, state.Weight));
        Assert.Equal((0, 0), (Next(spec, state, 29).Step, Next(spec, state, 29).Weight));

        var first = Next(spec, state, 30);
        Assert.Equal((RolloutPhase.Progressing, 1, 0), (first.Phase, first.Step, first.Weight));
        Assert.Equal(RolloutProgression.NothingToAnalyse, first.History[^1].Action);
        Assert.Equal(1, Next(spec, first, 59).Step);
        var third = Next(spec, first, 60);
        Assert.Equal((2, 20), (third.Step, third.Weight));
        Assert.Equal(2, third.History.Count(d => d.Action == RolloutProgression.NothingToAnalyse));
    }

    [Fact]
    public void Weight0WithAbRouting_WaitsForAPassingAnalysisOfTheMatchingRequests_AsAnyWeightDoes()
    {
        var spec = Spec(steps: [Weight(0), Weight(50)]) with { CanaryHeader = new HeaderMatch { Name = "x-canary", Value = "always" } };
        var state = Next(spec, null);

        var waiting = Next(spec, state, 300, AnalysisVerdict.Inconclusive);
        Assert.Equal((0, 0), (waiting.Step, waiting.Weight));
        Assert.DoesNotContain(waiting.History, d => d.Action == RolloutProgression.NothingToAnalyse);
        var passed = Next(spec, waiting, 330, AnalysisVerdict.Passed);
        Assert.Equal((1, 50), (passed.Step, passed.Weight));
        Assert.Contains(passed.History, d => d.Action == "AnalysisPassed" && d.Weight == 0);
    }
}
