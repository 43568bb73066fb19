using Meshwork.ControlPlane.Rollouts;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;

namespace Meshwork.ControlPlane.Tests.Rollouts;

/// <summary>Pre-step webhook gates in the state machine: a step is entered only once its gate opens, and only asked once per run.</summary>
public sealed class StepGateProgressionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static readonly Rollout Spec = new()
    {
        Metadata = new ResourceMetadata { Name = "orders", Version = 2 },
        Service = "orders",
        StableVersion = "v1",
        CanaryVersion = "v2",
        Steps = [new RolloutStep { Pause = new RolloutPause { Duration = TimeSpan.FromSeconds(10) } }, new RolloutStep { SetWeight = 30 }],
        Webhooks = [new RolloutWebhook { Name = "smoke", Url = "http://127.0.0.1:1/", Type = RolloutWebhookType.PreStep }],
    };

    private sealed class Gate
    {
        public string? Answer { get; set; } = "held by smoke";
        public List<int> Asked { get; } = [];

        public string? Ask(RolloutStatus state, int step)
        {
            Asked.Add(step);
            return Answer;
        }
    }

    private static RolloutStatus Next(RolloutStatus? state, int seconds, Gate gate, Rollout? spec = null) =>
        RolloutProgression.Next(spec ?? Spec, (spec ?? Spec).Metadata.Version, state, T0.AddSeconds(seconds), null, gate.Ask);

    [Fact]
    public void HeldStep_StaysProgressingWithTheGatesAnswer_ThenOpensOnce_AndThePauseCountsFromTheOpening()
    {
        var gate = new Gate();
        var held = Next(null, 0, gate);
        Assert.Equal((RolloutPhase.Progressing, 0, 0, "held by smoke"), (held.Phase, held.Step, held.Weight, held.Message));
        held = Next(held, 30, gate);
        Assert.Equal((0, "held by smoke"), (held.Step, held.Message));

        gate.Answer = null;
        var opened = Next(held, 40, gate);
        Assert.Null(opened.Message);
        Assert.Equal((0, T0.AddSeconds(40)), (opened.Step, opened.StepStartedAt));
        Assert.Single(opened.History, d => d.Action == RolloutProgression.StepGateOpened && d.Step == 0);

        // Inside the pause the opened step is not asked again; after it the next step is.
        gate.Asked.Clear();
        gate.Answer = "held again";
        var pausing = Next(opened, 45, gate);
        Assert.Empty(gate.Asked);
        var next = Next(pausing, 51, gate);
        Assert.Equal([1], gate.Asked);
        Assert.Equal((1, 0, "held again"), (next.Step, next.Weight, next.Message));

        gate.Answer = null;
        var weighted = Next(next, 52, gate);
        Assert.Equal((1, 30), (weighted.Step, weighted.Weight));
    }

    [Fact]
    public void Retry_AsksTheFirstStepsGateAgain()
    {
        var gate = new Gate { Answer = null };
        var opened = Next(null, 0, gate);
        var aborted = opened with { Phase = RolloutPhase.Aborted, Pending = new PendingRolloutCommand(RolloutCommand.Retry, "alice", T0) };
        gate.Answer = "held";
        gate.Asked.Clear();
        var retried = Next(aborted, 5, gate);
        Assert.Equal([0], gate.Asked);
        Assert.Equal((RolloutPhase.Progressing, "held"), (retried.Phase, retried.Message));
    }

    [Fact]
    public void WithoutPreStepWebhooks_TheGateIsNeverAsked()
    {
        var gate = new Gate();
        var state = Next(null, 0, gate, Spec with { Webhooks = [Spec.Webhooks[0] with { Type = RolloutWebhookType.Event }] });
        Assert.Empty(gate.Asked);
        Assert.Null(state.Message);
    }
}
