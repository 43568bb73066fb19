using Meshwork.Portal.Live;
using Meshwork.Protocol.Stats;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.Tests.Live;

/// <summary>The portal's merged view of several control plane replicas, each reporting only its own proxies and their traffic.</summary>
public sealed class MeshLiveDataTests
{
    private const string A = "https://cp-a:15010";
    private const string B = "https://cp-b:15010";

    private static ProxyStatus Proxy(string id, bool connected = true, long lastSeen = 1_000, string appHealth = "Healthy") => new()
    {
        ProxyId = id, Service = "checkout", Namespace = "default", Version = "v1", Connected = connected, LastSeenUnixMs = lastSeen, AppHealth = appHealth,
    };

    private static StatusUpdate FullState(params ProxyStatus[] proxies)
    {
        var update = new StatusUpdate { FullState = true, HasSignals = true, AtUnixMs = 1_000 };
        update.Proxies.Add(proxies);
        return update;
    }

    /// <summary>web-1 on replica A, web-2 on replica B.</summary>
    private static MeshLiveData TwoReplicasOneProxyEach()
    {
        var state = new MeshLiveData($"{A},{B}");
        state.Apply(A, FullState(Proxy("web-1")));
        state.Apply(B, FullState(Proxy("web-2")));
        return state;
    }

    /// <summary>Signals for calls taking <paramref name="latenciesMs"/>, reported over a 10 s window.</summary>
    private static GoldenSignals Signals(IEnumerable<int> latenciesMs, int failures = 0)
    {
        var latency = new MergedHistogram();
        var recorder = new LatencyRecorder();
        foreach (var ms in latenciesMs) recorder.Record(TimeSpan.FromMilliseconds(ms));
        latency.Add(recorder.Drain());
        return GoldenSignalsMerge.FromCounts(latency.Total, (ulong)failures, latency.Total / 10.0, 10, latency);
    }

    private static EdgeSignals WebToOrders(GoldenSignals signals) => new()
    {
        SourceService = "web", SourceNamespace = "default", SourceVersion = "v1",
        DestinationService = "orders", DestinationNamespace = "default", DestinationVersion = "v1", Signals = signals,
    };

    [Fact]
    public void Apply_TwoReplicasEachWithHalfTheProxiesAndTraffic_OneEdgeWithSummedRateAndMergedPercentiles()
    {
        var state = new MeshLiveData($"{A}, {B}");
        var fromA = FullState(Proxy("web-1"));
        fromA.Edges.Add(WebToOrders(Signals(Enumerable.Range(1, 300), failures: 3)));
        fromA.ServiceVersions.Add(new ServiceVersionSignals { Service = "orders", Namespace = "default", Version = "v1", Instances = 2, Signals = Signals([5]) });
        var fromB = FullState(Proxy("web-2"));
        fromB.Edges.Add(WebToOrders(Signals(Enumerable.Range(301, 700), failures: 7)));
        fromB.ServiceVersions.Add(new ServiceVersionSignals { Service = "orders", Namespace = "default", Version = "v1", Instances = 2, Signals = Signals([5]) });

        state.Apply(A, fromA);
        state.Apply(B, fromB);

        var view = state.Current;
        Assert.Equal(["web-1", "web-2"], view.Proxies.Select(p => p.ProxyId));
        var edge = Assert.Single(view.Edges).Signals;
        var whole = Signals(Enumerable.Range(1, 1000), failures: 10);
        Assert.Equal((100.0, 0.99), (edge.Rps, edge.SuccessRate));
        Assert.Equal((whole.P50Ms, whole.P95Ms, whole.P99Ms), (edge.P50Ms, edge.P95Ms, edge.P99Ms));
        var orders = Assert.Single(view.ServiceVersions);
        Assert.Equal((0.2, 2), (orders.Signals.Rps, orders.Instances)); // the instances are the one shared registry's
        Assert.Equal((LiveConnection.Connected, "2 of 2 control planes", false), (view.Connection, view.ControlPlanesSummary, view.Degraded));
    }

    [Fact]
    public void Disconnected_OneReplicaGoesAway_KeepsTheOthersProxiesAndHidesItsOwn()
    {
        var state = TwoReplicasOneProxyEach();

        state.Disconnected(B, "Unavailable: connection refused");

        var view = state.Current;
        Assert.Equal(["web-1"], view.Proxies.Select(p => p.ProxyId));
        Assert.Equal(LiveConnection.Connected, view.Connection);
        Assert.True(view.Degraded);
        Assert.Equal("1 of 2 control planes", view.ControlPlanesSummary);
        Assert.Equal($"{B}: Unavailable: connection refused", view.LastError);
    }

    [Fact]
    public void Disconnected_EveryReplica_KeepsTheLastStateOfAllMarkedStale()
    {
        var state = TwoReplicasOneProxyEach();

        state.Disconnected(A, "gone");
        state.Disconnected(B, "gone too");

        Assert.Equal(LiveConnection.Connecting, state.Current.Connection);
        Assert.Equal(["web-1", "web-2"], state.Current.Proxies.Select(p => p.ProxyId));
    }

    [Fact]
    public void Apply_ProxyMovedToAnotherReplica_ShownOnceConnectedEvenAfterTheOldOneRemovesIt()
    {
        var state = new MeshLiveData($"{A},{B}");
        state.Apply(A, FullState(Proxy("web-1", connected: false, lastSeen: 5_000)));
        state.Apply(B, FullState(Proxy("web-1", connected: true, lastSeen: 4_000)));

        Assert.True(Assert.Single(state.Current.Proxies).Connected);

        var removed = new StatusUpdate { AtUnixMs = 6_000 };
        removed.RemovedProxyIds.Add("web-1");
        state.Apply(A, removed);

        Assert.True(Assert.Single(state.Current.Proxies).Connected);
    }

    [Fact]
    public void Apply_SameProxyDisconnectedOnBoth_NewestLastSeenWins()
    {
        var state = new MeshLiveData($"{A},{B}");
        state.Apply(A, FullState(Proxy("web-1", connected: false, lastSeen: 5_000, appHealth: "Unknown")));
        state.Apply(B, FullState(Proxy("web-1", connected: false, lastSeen: 9_000, appHealth: "Unhealthy")));

        Assert.Equal("Unhealthy", Assert.Single(state.Current.Proxies).AppHealth);
    }

    [Fact]
    public void Apply_EventsAndConfigVersionsFromBothReplicas_EventsNewestFirstAndHighestVersion()
    {
        var state = new MeshLiveData($"{A},{B}");
        var fromA = FullState();
        fromA.ConfigVersion = 7;
        fromA.Events.Add(new MeshEvent { Kind = "ProxyConnected", AtUnixMs = 1_000 });
        fromA.Events.Add(new MeshEvent { Kind = "ProxyDisconnected", AtUnixMs = 3_000 });
        var fromB = FullState();
        fromB.ConfigVersion = 9;
        fromB.Events.Add(new MeshEvent { Kind = "ProxyConnected", AtUnixMs = 4_000 });
        fromB.Events.Add(new MeshEvent { Kind = "Nack", AtUnixMs = 2_000 });

        state.Apply(A, fromA);
        state.Apply(B, fromB);

        Assert.Equal([4_000L, 3_000, 2_000, 1_000], state.Current.Events.Select(e => e.AtUnixMs));
        Assert.Equal(9, state.Current.ConfigVersion);
    }

    [Fact]
    public void Apply_EmptySignalSetFromOneReplica_ReplacesOnlyThatReplicasSignals()
    {
        var state = new MeshLiveData($"{A},{B}");
        var fromA = FullState();
        fromA.Edges.Add(WebToOrders(Signals([1, 2, 3])));
        var fromB = FullState();
        fromB.Edges.Add(WebToOrders(Signals([4, 5])));
        state.Apply(A, fromA);
        state.Apply(B, fromB);

        state.Apply(B, new StatusUpdate { HasSignals = true, AtUnixMs = 2_000 }); // B's proxies went quiet
        Assert.Equal(3UL, Assert.Single(state.Current.Edges).Signals.Requests);

        state.Apply(A, new StatusUpdate { AtUnixMs = 2_000 }); // fleet changes only: A keeps its set
        Assert.Equal(3UL, Assert.Single(state.Current.Edges).Signals.Requests);
    }

    [Fact]
    public void Constructor_AddressListWithABadEntry_RefusesNamingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new MeshLiveData($"{A}, cp-b:15010"));

        Assert.Equal("Portal:ControlPlane:Address: 'cp-b:15010' is not an absolute http:// or https:// address (e.g. https://127.0.0.1:15010).", error.Message);
    }

    [Fact]
    public async Task Subscribe_StatusAndStoreChangesInsideOneInterval_ArriveAsOneCallNamingBoth()
    {
        var live = new MeshLiveData(A);
        var calls = System.Threading.Channels.Channel.CreateUnbounded<LiveChange>();
        using var subscription = live.Subscribe(change => calls.Writer.WriteAsync(change).AsTask(), TimeSpan.FromMilliseconds(200));

        live.Apply(A, FullState(Proxy("web-1")));
        live.ResourcesChanged();
        live.Apply(A, FullState(Proxy("web-2")));

        Assert.Equal(LiveChange.Status | LiveChange.Resources, await calls.Reader.ReadAsync());
        Assert.Equal(1, live.ResourcesVersion);
        Assert.False(calls.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Subscribe_Disposed_IsForgottenAndNotCalledAgain()
    {
        var live = new MeshLiveData(A);
        var called = new TaskCompletionSource();
        var subscription = live.Subscribe(_ =>
        {
            called.TrySetResult();
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, live.Subscribers);

        subscription.Dispose();
        live.ResourcesChanged();

        Assert.Equal(0, live.Subscribers);
        // The one delivery it could have had would come after 50 ms; a later subscriber's proves that time passed.
        var later = new TaskCompletionSource();
        using var other = live.Subscribe(_ =>
        {
            later.TrySetResult();
            return Task.CompletedTask;
        }, TimeSpan.FromMilliseconds(100));
        live.ResourcesChanged();
        await later.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(called.Task.IsCompleted);
    }

    [Fact]
    public void Apply_TrafficStops_TheEmptySetReplacesTheLastRatesInsteadOfFreezingThem()
    {
        var live = new MeshLiveData(A);
        var busy = FullState(Proxy("web-1"));
        busy.Edges.Add(WebToOrders(Signals(Enumerable.Range(1, 100))));
        live.Apply(A, busy);
        Assert.Equal(10.0, Assert.Single(live.Current.Edges).Signals.Rps);

        var idle = new StatusUpdate { HasSignals = true, AtUnixMs = 2_000 };
        idle.Edges.Add(WebToOrders(Signals([])));
        live.Apply(A, idle);
        Assert.Equal(0.0, Assert.Single(live.Current.Edges).Signals.Rps);

        live.Apply(A, new StatusUpdate { HasSignals = true, AtUnixMs = 3_000 }); // the control plane forgot the edge
        Assert.Empty(live.Current.Edges);
    }
}
