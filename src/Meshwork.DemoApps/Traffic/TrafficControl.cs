namespace Meshwork.DemoApps.Traffic;

/// <summary>
/// The generator's live plan and counters, shared by the send loop and the admin endpoint. A change
/// cancels <see cref="Changed"/>, so the loop waiting for its next send (or paused at 0 requests/s)
/// takes the new rate and mix at once.
/// </summary>
public sealed class TrafficControl(TrafficPlan plan)
{
    private readonly Lock gate = new();
    private CancellationTokenSource changed = new();
    private long sent, ok, failed;

    public TrafficPlan Plan { get; private set; } = plan;

    public CancellationToken Changed
    {
        get { lock (gate) return changed.Token; }
    }

    public long Sent => Interlocked.Read(ref sent);
    public long Ok => Interlocked.Read(ref ok);
    public long Failed => Interlocked.Read(ref failed);

    public void CountSent() => Interlocked.Increment(ref sent);
    public void CountOk() => Interlocked.Increment(ref ok);
    public long CountFailed() => Interlocked.Increment(ref failed);

    /// <summary>Applies a change; returns the errors by field (and changes nothing) when it is invalid.</summary>
    public Dictionary<string, string[]> Apply(TrafficPlan.Change change)
    {
        CancellationTokenSource previous;
        lock (gate)
        {
            var (next, errors) = Plan.With(change);
            if (next is null)
                return errors;
            Plan = next;
            previous = changed;
            changed = new CancellationTokenSource();
        }
        previous.Cancel();
        previous.Dispose();
        return [];
    }

    public object View() => new
    {
        rps = Plan.Rps,
        targets = Plan.Targets.Select(t => new { url = t.Url.ToString(), weight = t.Weight }),
        sent = Sent,
        ok = Ok,
        failed = Failed,
    };
}
