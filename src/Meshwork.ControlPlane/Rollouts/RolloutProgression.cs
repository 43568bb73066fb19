using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.ControlPlane.Rollouts;

/// <summary>
/// The rollout state machine, with no I/O: from the stored state, the rollout's spec, the time, an
/// operator's pending command and the analysis of the interval that just ended (if one did), the next
/// state. The weight it returns is what the route split must carry; the controller writes it.
/// Analysis runs whenever the canary carries traffic in a live phase: a pass completes a setWeight
/// step, a failure counts (more than <see cref="RolloutAnalysis.FailureLimit"/> in a row roll back,
/// as Argo Rollouts counts), an inconclusive interval changes nothing. A rollout with pre-step
/// webhooks enters each step only once its <see cref="StepGate"/> opens it; until then the step is held
/// (still Progressing, the status message says why). The opening is recorded in the history
/// ("StepGateOpened"), so a controller resuming after a restart does not ask again. A mirror step is
/// entered by recording "MirrorStarted" (the mirror is set from then on, see <see cref="RolloutStatuses.MirrorPercent"/>)
/// and, like a setWeight step, completes when an analysis interval passes: the canary judged on the copies.
/// </summary>
public static class RolloutProgression
{
    public const string ControllerActor = RolloutStatuses.ControllerActor;
    public const string StepGateOpened = "StepGateOpened";
    public const string MirrorStarted = RolloutStatuses.MirrorStarted;
    public const string NothingToAnalyse = "NothingToAnalyse";

    /// <summary>Null when <paramref name="step"/> may be entered now; otherwise why it is held.</summary>
    public delegate string? StepGate(RolloutStatus state, int step);

    public static RolloutStatus Next(Rollout spec, long specVersion, RolloutStatus? stored, DateTimeOffset now, RolloutAnalysisResult? analysis,
        StepGate? gate = null)
    {
        var pending = stored?.Pending;
        var state = stored is not null && stored.RolloutVersion == specVersion
            ? stored with { Message = null }
            : Start(spec, specVersion, stored, now);
        if (pending is not null)
            state = Command(state, spec, pending, now);
        if (analysis is not null && RolloutStatuses.IsLive(state.Phase))
            state = Judge(state, spec, analysis, now);
        if (state.Phase == RolloutPhase.Progressing)
            state = RunSteps(state, spec, now, gate);
        return state with { Pending = null };
    }

    private static RolloutStatus Start(Rollout spec, long specVersion, RolloutStatus? previous, DateTimeOffset now)
    {
        var fresh = new RolloutStatus
        {
            Namespace = spec.Metadata.Namespace,
            Name = spec.Metadata.Name,
            RolloutVersion = specVersion,
            Phase = RolloutPhase.Progressing,
            StepCount = spec.Steps.Count,
            StepStartedAt = now,
            History = previous?.History ?? [],
        };
        return Record(fresh, now, ControllerActor, "Started",
            $"rollout of {spec.Service} {spec.CanaryVersion} against stable {spec.StableVersion} (version {specVersion} of the rollout), {spec.Steps.Count} steps");
    }

    private static RolloutStatus Command(RolloutStatus state, Rollout spec, PendingRolloutCommand pending, DateTimeOffset now)
    {
        if (RolloutCommands.WhyNot(pending.Command, state.Phase) is { } why)
            return Record(state, now, pending.Actor, "Ignored", $"{pending.Command} not carried out: {why}");
        return pending.Command switch
        {
            RolloutCommand.Promote when state.Step + 1 >= spec.Steps.Count =>
                Promote(state, now, pending.Actor, "last step approved by an operator"),
            RolloutCommand.Promote => Record(Advance(state, now) with { Phase = RolloutPhase.Progressing, ConsecutiveFailures = 0 }, now, pending.Actor, "Promoted",
                $"step {state.Step + 1} approved by an operator; on to step {state.Step + 2}"),
            RolloutCommand.Pause => Record(state with { Phase = RolloutPhase.Paused }, now, pending.Actor, "Paused", $"held at {state.Weight}% by an operator"),
            RolloutCommand.Resume => Record(state with { Phase = RolloutPhase.Progressing }, now, pending.Actor, "Resumed", $"resumed at step {state.Step + 1}"),
            RolloutCommand.Abort => Record(state with { Phase = RolloutPhase.Aborted, Weight = 0 }, now, pending.Actor, "Aborted", "aborted by an operator: all traffic back to stable"),
            RolloutCommand.Retry => Record(state with
            {
                Phase = RolloutPhase.Progressing, Step = 0, Weight = 0, StepStartedAt = now, ConsecutiveFailures = 0, LastAnalysis = null, Analyses = [],
            }, now, pending.Actor, "Retried", "started again from the first step"),
            RolloutCommand.PromoteFull => Promote(state, now, pending.Actor, "analysis and remaining steps skipped by an operator"),
            _ => state,
        };
    }

    private static RolloutStatus Judge(RolloutStatus state, Rollout spec, RolloutAnalysisResult analysis, DateTimeOffset now)
    {
        var judged = state with { LastAnalysis = analysis, Analyses = state.Analyses.Append(analysis).TakeLast(RolloutStatus.MaxAnalyses).ToList() };
        switch (analysis.Verdict)
        {
            case AnalysisVerdict.Passed:
                judged = judged with { ConsecutiveFailures = 0 };
                if (state.Phase == RolloutPhase.Progressing && CurrentStep(state, spec)?.SetWeight == state.Weight)
                    return Record(Advance(judged, now), now, ControllerActor, "AnalysisPassed", $"step {state.Step + 1} at {state.Weight}%: {analysis.Reason}", analysis);
                if (state.Phase == RolloutPhase.Progressing && RolloutStatuses.MirrorPercent(spec, state) is { } mirrored)
                    return Record(Advance(judged, now), now, ControllerActor, "AnalysisPassed",
                        $"step {state.Step + 1}, {mirrored}% mirrored to the canary at {state.Weight}%: {analysis.Reason}", analysis);
                return judged;
            case AnalysisVerdict.Failed:
                var failures = state.ConsecutiveFailures + 1;
                judged = Record(judged with { ConsecutiveFailures = failures }, now, ControllerActor, "AnalysisFailed",
                    $"failure {failures} of {spec.Analysis.FailureLimit} tolerated: {analysis.Reason}", analysis);
                return failures > spec.Analysis.FailureLimit
                    ? Record(judged with { Phase = RolloutPhase.RolledBack, Weight = 0 }, now, ControllerActor, "RolledBack",
                        $"{failures} failed analyses in a row, more than the failure limit of {spec.Analysis.FailureLimit}: all traffic back to stable", analysis)
                    : judged;
            default:
                // One entry per run of inconclusive intervals: the history stays readable while a step waits.
                return state.LastAnalysis?.Verdict == AnalysisVerdict.Inconclusive
                    ? judged
                    : Record(judged, now, ControllerActor, "Inconclusive", analysis.Reason, analysis);
        }
    }

    private static RolloutStatus RunSteps(RolloutStatus state, Rollout spec, DateTimeOffset now, StepGate? gate)
    {
        while (state.Step < spec.Steps.Count)
        {
            if (gate is not null && spec.Webhooks.Any(w => w.Type == RolloutWebhookType.PreStep) && !Opened(state))
            {
                if (gate(state, state.Step) is { } held) return state with { Message = held };
                // A pause counts from the moment its step is entered, not from when the gate was first asked.
                state = Record(state with { StepStartedAt = now }, now, ControllerActor, StepGateOpened,
                    $"step {state.Step + 1}: every pre-step webhook answered 2xx");
            }
            var step = spec.Steps[state.Step];
            if (step.Mirror is { } mirror)
            {
                // Like a weight, the mirror is set once; a passed analysis completes the step (Judge).
                if (RolloutStatuses.Recorded(state, MirrorStarted)) return state;
                return Record(state with { StepStartedAt = now }, now, ControllerActor, MirrorStarted,
                    $"step {state.Step + 1}: {mirror.Percent}% of requests copied to canary {spec.CanaryVersion}, its answers dropped; live traffic stays at {state.Weight}% canary");
            }
            if (step.SetWeight is { } weight)
            {
                if (state.Weight != weight)
                    return Record(state with { Weight = weight, StepStartedAt = now }, now, ControllerActor, "WeightSet",
                        $"step {state.Step + 1}: canary {spec.CanaryVersion} to {weight}%, stable {spec.StableVersion} to {100 - weight}%");
                // Normally a passed analysis completes the step (Judge). At 0 % with no A/B routing nothing reaches the
                // canary, so no interval can pass: the step is held for one analysis interval, then ends with nothing judged.
                if (RolloutStatuses.CanaryReceivesTraffic(spec, state) || now < state.StepStartedAt + spec.Analysis.Interval) return state;
                state = Record(Advance(state, now), now, ControllerActor, NothingToAnalyse,
                    $"step {state.Step + 1} at 0%: no request reaches canary {spec.CanaryVersion} (no canaryHeader, no mirror), nothing to analyse; held {Seconds(spec.Analysis.Interval)}");
                continue;
            }
            if (step.Pause?.Duration is not { } duration)
            {
                return state.Phase == RolloutPhase.WaitingForApproval
                    ? state
                    : Record(state with { Phase = RolloutPhase.WaitingForApproval }, now, ControllerActor, "WaitingForApproval",
                        $"step {state.Step + 1}: paused at {state.Weight}% until an operator promotes");
            }
            if (now < state.StepStartedAt + duration) return state;
            state = Record(Advance(state, now), now, ControllerActor, "PauseEnded", $"step {state.Step + 1}: paused {Seconds(duration)} at {state.Weight}%");
        }
        return spec.AutoPromote
            ? Promote(state, now, ControllerActor, "every step passed")
            : state.Phase == RolloutPhase.WaitingForApproval
                ? state
                : Record(state with { Phase = RolloutPhase.WaitingForApproval }, now, ControllerActor, "WaitingForApproval",
                    "every step passed; autoPromote is off, so an operator promotes");
    }

    private static RolloutStatus Promote(RolloutStatus state, DateTimeOffset now, string actor, string why) =>
        Record(state with { Phase = RolloutPhase.Promoted, Step = state.StepCount, Weight = 100, StepStartedAt = now }, now, actor, "Promoted",
            $"{why}: all traffic to the canary");

    /// <summary>Whether the current step's gate opened in this run of the rollout (since it started or was retried).</summary>
    private static bool Opened(RolloutStatus state) => RolloutStatuses.Recorded(state, StepGateOpened);

    private static RolloutStatus Advance(RolloutStatus state, DateTimeOffset now) => state with { Step = state.Step + 1, StepStartedAt = now };

    private static RolloutStep? CurrentStep(RolloutStatus state, Rollout spec) => state.Step < spec.Steps.Count ? spec.Steps[state.Step] : null;

    private static RolloutStatus Record(RolloutStatus state, DateTimeOffset now, string actor, string action, string message,
        RolloutAnalysisResult? analysis = null)
    {
        var history = state.History.Append(new RolloutDecision(now, actor, action, message, state.Step, state.Weight) { Analysis = analysis });
        return state with { History = history.TakeLast(RolloutStatus.MaxHistory).ToList() };
    }

    private static string Seconds(TimeSpan duration) => $"{duration.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture)} s";
}
