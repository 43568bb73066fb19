using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Model.Traffic;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Meshwork.Store.Rollouts;

namespace Meshwork.Portal.ViewModels;

/// <summary>One weighted split of a route as the sliders edit it: whole percentages summing to 100, a lock per backend.</summary>
public sealed class SplitDraft(int ruleIndex, string title, IReadOnlyList<BackendRef> backends)
{
    public int RuleIndex { get; } = ruleIndex;
    public string Title { get; } = title;
    public IReadOnlyList<BackendRef> Backends { get; } = backends;

    /// <summary>What the stored route says, as percentages.</summary>
    public int[] Stored { get; private set; } = CanarySplit.ToPercentages(backends.Select(b => b.Weight).ToList());

    /// <summary>What the sliders show: <see cref="Stored"/> until a slider moves.</summary>
    public int[] Percent { get; private set; } = CanarySplit.ToPercentages(backends.Select(b => b.Weight).ToList());

    public bool[] Locked { get; } = new bool[backends.Count];

    /// <summary>The live rollout (progressing, paused or waiting) whose controller moves this split; null when none does.</summary>
    public RolloutRow? Rollout { get; set; }

    /// <summary>A route whose weights are all 0 routes nothing (503); its sliders start from all to the first backend.</summary>
    public bool RoutesNothing => Stored.Sum() == 0;

    public bool IsChanged => !Percent.SequenceEqual(Stored);

    /// <summary>The stable backend "send all to stable" rolls back to: the first one, as in Istio and Flagger splits.</summary>
    public static int StableIndex => 0;

    public void Move(int backend, int value)
    {
        var from = RoutesNothing && Percent.Sum() == 0 ? CanarySplit.AllTo(Percent.Length, StableIndex) : Percent;
        Percent = CanarySplit.Move(from, Locked, backend, value);
    }

    public void Set(int[] percent) => Percent = percent;

    public void Reset() => Percent = Stored.ToArray();

    public static string Label(BackendRef backend) =>
        backend.Version is { } version ? $"{backend.Service} {version}" : backend.Service;
}

/// <summary>
/// The canary sliders of one HttpRoute: every rule with two or more backends is a split. A release
/// stores the route with the version it was loaded at, so a concurrent change by someone else is
/// reported (and shown) instead of overwritten; every release is one audited change. A split a live
/// rollout moves is not changed silently under its controller: the move waits for the person's
/// choice (<see cref="AwaitingChoice"/>): pause the rollout and apply, or cancel the move.
/// </summary>
public sealed class CanarySplitViewModel(IServiceScopeFactory scopes, RolloutStateStore rolloutStates, CurrentUser user) : LoadState
{
    private HttpRoute? route;

    public ResourceKey Key { get; private set; }
    public HttpRoute? Route => route;
    public StoredResource? Stored { get; private set; }
    public IReadOnlyList<SplitDraft> Splits { get; private set; } = [];
    public bool CanEdit { get; private set; }
    public bool NotFound { get; private set; }
    public bool Busy { get; private set; }

    /// <summary>The revision the last release stored: its ACK progress is followed from the proxies' status.</summary>
    public long? AppliedRevision { get; private set; }

    /// <summary>The split whose move waits for the person's choice because a live rollout moves it.</summary>
    public SplitDraft? AwaitingChoice { get; private set; }

    public Task LoadAsync(ResourceKey key)
    {
        Key = key;
        return RunLoadAsync(ReloadAsync, $"route {key.Namespace}/{key.Name}");
    }

    private async Task ReloadAsync()
    {
        CanEdit = await user.CanAsync(PortalPolicies.EditTraffic);
        await using var scope = scopes.CreateAsyncScope();
        Stored = await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(Key);
        route = Stored?.Resource as HttpRoute;
        NotFound = route is null;
        var previous = Splits;
        Splits = route is null ? [] : SplitsOf(route);
        var rollouts = route is null ? [] : await LiveRolloutsAsync(scope.ServiceProvider.GetRequiredService<ResourceService>());
        foreach (var split in Splits)
            split.Rollout = rollouts.FirstOrDefault(r => RolloutSplits.Covers(route!.Rules[split.RuleIndex], r.Rollout));
        // Locks are the user's, not the route's: they survive a reload of the same split.
        foreach (var split in Splits)
        {
            if (previous.FirstOrDefault(p => p.RuleIndex == split.RuleIndex && p.Backends.SequenceEqual(split.Backends, BackendIdentity)) is { } before)
                before.Locked.CopyTo(split.Locked, 0);
        }
    }

    /// <summary>The rollouts in the route's namespace whose controller still moves splits (progressing, paused, waiting).</summary>
    private async Task<List<RolloutRow>> LiveRolloutsAsync(ResourceService store)
    {
        var rollouts = await store.ListAsync(ResourceKind.Rollout, Key.Namespace);
        if (rollouts.Count == 0) return [];
        var stored = (await rolloutStates.ListAsync(CancellationToken.None)).ToDictionary(s => (s.Namespace, s.Name));
        return rollouts.Select(r => (Rollout)r.Resource)
            .Select(r => new RolloutRow(r, RolloutStatuses.Current(r, stored.GetValueOrDefault((r.Metadata.Namespace, r.Metadata.Name)))))
            .Where(r => RolloutStatuses.IsLive(r.Status.Phase))
            .ToList();
    }

    private static readonly IEqualityComparer<BackendRef> BackendIdentity =
        EqualityComparer<BackendRef>.Create((a, b) => (a?.Service, a?.Namespace, a?.Version) == (b?.Service, b?.Namespace, b?.Version));

    private static List<SplitDraft> SplitsOf(HttpRoute route) =>
        route.Rules
            .Select((rule, index) => (rule, index))
            .Where(r => r.rule.BackendRefs.Count >= 2)
            .Select(r => new SplitDraft(r.index, RuleTitle(r.rule, r.index), r.rule.BackendRefs))
            .ToList();

    private static string RuleTitle(HttpRouteRule rule, int index)
    {
        var name = rule.Name is { Length: > 0 } n ? $"Rule {index + 1} ({n})" : $"Rule {index + 1}";
        var match = rule.Matches.FirstOrDefault();
        return match?.Path is { } path ? $"{name}: {path.Type} {path.Value}" : name;
    }

    /// <summary>
    /// Stores the split the sliders show. A conflict reloads what is stored now and says who changed it.
    /// Under a live rollout nothing is stored: the move waits for <see cref="PauseRolloutAndApplyAsync"/> or <see cref="CancelMove"/>.
    /// </summary>
    public async Task<ChangeOutcome?> ApplyAsync(SplitDraft split)
    {
        if (await RefuseAsync(split) is { } refused) return refused;
        if (split.Rollout is not null)
        {
            AwaitingChoice = split;
            return null;
        }
        return await StoreAsync(split);
    }

    /// <summary>
    /// The person chose to take the split over from the rollout: the rollout is paused (queued for the
    /// controller, recorded under the person's name, as the Rollouts page's Pause button does) and the
    /// weights applied. A paused rollout holds its weight, so the controller does not move them back.
    /// </summary>
    public async Task<ChangeOutcome> PauseRolloutAndApplyAsync()
    {
        if (AwaitingChoice is not { } split) return new ChangeOutcome(false, "No move is waiting for a choice.", []);
        AwaitingChoice = null;
        if (await RefuseAsync(split) is { } refused) return refused;
        var paused = "";
        if (split.Rollout is { } rollout && rollout.WhyNot(RolloutCommand.Pause) is null)
        {
            await rolloutStates.RequestAsync(rollout.Rollout.Metadata.Namespace, rollout.Rollout.Metadata.Name, RolloutCommand.Pause,
                (await user.ActorAsync()).Name, CancellationToken.None);
            paused = $"Rollout {rollout.Key} paused (the controller holds it at its weight until resumed). ";
        }
        var outcome = await StoreAsync(split);
        return outcome with { Message = paused + outcome.Message };
    }

    /// <summary>The person chose to leave the split to the rollout: the sliders go back to the stored weights.</summary>
    public void CancelMove()
    {
        AwaitingChoice?.Reset();
        AwaitingChoice = null;
    }

    private async Task<ChangeOutcome?> RefuseAsync(SplitDraft split)
    {
        if (!await user.CanAsync(PortalPolicies.EditTraffic))
        {
            split.Reset();
            return ChangeOutcome.Denied("changing traffic splits");
        }
        if (route is null) return Gone;
        if (!split.IsChanged) return new ChangeOutcome(true, "No change.", []);
        return null;
    }

    private ChangeOutcome Gone => new(false, $"{Key} no longer exists.", []);

    private async Task<ChangeOutcome> StoreAsync(SplitDraft split)
    {
        if (route is not { } current) return Gone;

        var percent = split.Percent;
        var rules = current.Rules.ToArray();
        var rule = rules[split.RuleIndex];
        rules[split.RuleIndex] = rule with
        {
            BackendRefs = rule.BackendRefs.Select((b, i) => b with { Weight = percent[i] }).ToList(),
        };
        Busy = true;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<ResourceService>()
                .ApplyAsync(current with { Rules = rules }, await user.ActorAsync());
            var described = string.Join(" / ", split.Backends.Select((b, i) => $"{SplitDraft.Label(b)} {percent[i]}%"));
            var outcome = ChangeOutcome.From(result, $"Applied {described}.");
            if (result is ChangeResult.Conflict)
            {
                await ReloadAsync();
                var by = Stored is null ? "deleted" : $"changed by {Stored.UpdatedBy} at {Stored.UpdatedAt:HH:mm:ss} UTC (now version {Stored.Resource.Metadata.Version})";
                return new ChangeOutcome(false,
                    $"Not applied: {Key.Namespace}/{Key.Name} was {by} while you were editing. The sliders now show the stored split; your {described} was not saved.", []);
            }
            if (result is ChangeResult.Applied applied)
            {
                AppliedRevision = applied.Revision;
                await ReloadAsync();
            }
            else
            {
                split.Reset();
            }
            return outcome;
        }
        finally
        {
            Busy = false;
        }
    }

    /// <summary>The instant rollback: every request of the split to the stable (first) backend.</summary>
    public Task<ChangeOutcome?> SendAllToStableAsync(SplitDraft split)
    {
        split.Set(CanarySplit.AllTo(split.Backends.Count, SplitDraft.StableIndex));
        return ApplyAsync(split);
    }
}
