using Meshwork.Portal.Identity;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.ViewModels;

/// <summary>One sampled request as the live tap table shows it.</summary>
public sealed record TapRow(DateTimeOffset At, string Source, string DestinationVersion, string Method, string Path, int Status, double LatencyMs, string TraceId)
{
    public static TapRow From(RequestSample sample) => new(
        DateTimeOffset.FromUnixTimeMilliseconds(sample.AtUnixMs),
        sample.SourceNamespace.Length == 0 ? sample.SourceService : $"{sample.SourceNamespace}/{sample.SourceService}",
        sample.DestinationVersion, sample.Method, sample.Path, sample.Status, sample.LatencyMicros / 1000.0, sample.TraceId);
}

/// <summary>
/// The service page's live tap: sampled requests into the service, newest first and at most
/// <see cref="MaxRows"/>, from every control plane replica. Operators and admins only (the request
/// paths of live traffic are more than a viewer's role shows); the check is made again when a tap is
/// started, not only when the button is drawn. Disposing it (the page closing) ends the calls.
/// </summary>
public sealed class LiveTapViewModel(LiveTapSource source, CurrentUser user) : IAsyncDisposable
{
    public const int MaxRows = 200;

    private readonly Lock gate = new();
    private readonly LinkedList<TapRow> rows = [];
    private readonly Dictionary<string, int> proxies = [];
    private readonly Dictionary<string, string> problems = [];
    private CancellationTokenSource? running;
    private Task? run;
    private long dropped;

    /// <summary>Raised after new samples or a replica's state changed (on a gRPC thread).</summary>
    public event Action? Changed;

    public bool CanTap { get; private set; }

    /// <summary>Why the tap cannot be started by this user; null when it can.</summary>
    public string? WhyNot => CanTap ? null : "The live tap needs the Operator or Admin role: it shows the paths of live requests.";

    public bool Running => running is not null;

    public IReadOnlyList<TapRow> Rows
    {
        get
        {
            lock (gate) return [.. rows];
        }
    }

    /// <summary>Proxies tapping, over every replica (each counts only its own).</summary>
    public int Proxies
    {
        get
        {
            lock (gate) return proxies.Values.Sum();
        }
    }

    /// <summary>Samples lost to the rate of the proxies' buffers or a slow reader since the tap started.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Replicas whose tap call is down, with why.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (gate) return [.. problems.Select(p => $"{p.Key}: {p.Value}")];
        }
    }

    public async Task LoadAsync() => CanTap = await user.CanAsync(PortalPolicies.EditTraffic);

    /// <summary>Starts tapping <paramref name="ns"/>/<paramref name="service"/>; returns why not when it cannot.</summary>
    public async Task<string?> StartAsync(string ns, string service)
    {
        if (!await user.CanAsync(PortalPolicies.EditTraffic)) return ChangeOutcome.Denied("tapping live requests").Message;
        if (!source.IsConfigured) return "No control plane is configured (Portal:ControlPlane:Address), so there is nothing to tap.";
        if (running is not null) return null;
        lock (gate)
        {
            rows.Clear();
            proxies.Clear();
            problems.Clear();
        }
        Interlocked.Exchange(ref dropped, 0);
        running = new CancellationTokenSource();
        run = source.RunAsync(service, ns, Apply, SetProblem, running.Token);
        return null;
    }

    public async Task StopAsync()
    {
        if (running is not { } stopping) return;
        running = null;
        await stopping.CancelAsync();
        await run!;
        stopping.Dispose();
        Changed?.Invoke();
    }

    /// <summary>Folds one replica's update in (public so component tests can feed updates as the stream would).</summary>
    public void Apply(string replica, TapUpdate update)
    {
        lock (gate)
        {
            // Each update's samples are oldest first: putting each in front leaves the newest on top.
            foreach (var sample in update.Samples) rows.AddFirst(TapRow.From(sample));
            while (rows.Count > MaxRows) rows.RemoveLast();
            proxies[replica] = update.Proxies;
        }
        Interlocked.Add(ref dropped, (long)update.Dropped);
        Changed?.Invoke();
    }

    private void SetProblem(string replica, string? problem)
    {
        lock (gate)
        {
            if (problem is null)
            {
                if (!problems.Remove(replica)) return;
            }
            else
            {
                problems[replica] = problem;
                proxies.Remove(replica);
            }
        }
        Changed?.Invoke();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
