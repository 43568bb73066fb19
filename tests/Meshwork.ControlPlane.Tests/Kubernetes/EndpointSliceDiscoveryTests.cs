using System.Text.Json.Nodes;
using k8s;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Kubernetes;
using Meshwork.ControlPlane.Registry;
using Meshwork.ControlPlane.Status;
using Meshwork.Model.Resources;
using Meshwork.Testing.Kubernetes;
using Meshwork.Testing.Waiting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Tests.Kubernetes;

/// <summary>
/// The registry fed from EndpointSlices, against <see cref="FakeKubernetesApiServer"/>: the Kubernetes
/// API server is a true external boundary (no cluster runs here), so a real HTTP server in the test
/// speaks the list/watch protocol. The discovery, the official client, the registry are the real ones.
/// </summary>
public sealed class EndpointSliceDiscoveryTests : IAsyncLifetime
{
    private const string Slices = "/apis/discovery.k8s.io/v1/endpointslices";
    private const string Pods = "/api/v1/pods";
    private static readonly ServiceRef Reviews = new("reviews", "shop");
    private static readonly ServiceRef Ratings = new("ratings", "shop");

    private readonly ServiceRegistry registry = new(Options.Create(new ControlPlaneOptions()), TimeProvider.System);
    private readonly FleetState fleet = new(TimeProvider.System, NullLogger<FleetState>.Instance);
    private FakeKubernetesApiServer api = null!;
    private EndpointSliceDiscovery discovery = null!;

    public async Task InitializeAsync()
    {
        api = await FakeKubernetesApiServer.StartAsync();
        api.Put(Pods, Pod("reviews-v1-a", labels: new() { ["app"] = "reviews", ["version"] = "v1" }));
        api.Put(Pods, Pod("reviews-v2-a", labels: new() { ["app.kubernetes.io/version"] = "v2" }));
        api.Put(Pods, Pod("reviews-v2-b", labels: new() { ["app.kubernetes.io/version"] = "v2" }));
        api.Put(Pods, Pod("ratings-a", labels: []));
        api.Put(Pods, Pod("legacy-a", labels: [], meshed: false));
    }

    private async Task StartDiscoveryAsync()
    {
        var options = new ControlPlaneOptions
        {
            Kubernetes = new EndpointSliceDiscoveryOptions
            {
                WatchEndpointSlices = true,
                Namespaces = ["shop"],
                ReconnectDelay = TimeSpan.FromMilliseconds(50),
                MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
            },
        };
        var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url });
        discovery = new EndpointSliceDiscovery(registry, client, Options.Create(options), fleet, NullLogger<EndpointSliceDiscovery>.Instance);
        await discovery.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (discovery is not null) await discovery.StopAsync(CancellationToken.None);
        await api.DisposeAsync();
    }

    [Fact]
    public async Task Watch_SlicesAddedChangedAndDeleted_RegistryFollowsWithReadyMeshedEndpoints()
    {
        api.Put(Slices, Slice("reviews-abc", "reviews",
            Endpoint("10.1.0.1", "reviews-v1-a"),
            Endpoint("10.1.0.2", "reviews-v2-a"),
            Endpoint("10.1.0.3", "reviews-v2-b", ready: false),
            Endpoint("10.1.0.4", "legacy-a")));
        await StartDiscoveryAsync();

        var listed = await InstancesAsync(Reviews, 2);
        Assert.Equal(
            [("reviews-v1-a", "v1", "10.1.0.1:15006", InstanceHealth.Healthy), ("reviews-v2-a", "v2", "10.1.0.2:15006", InstanceHealth.Healthy)],
            listed.Select(i => (i.ProxyId, i.Version, i.Address, i.Health)));

        var changed = new List<ServiceRef>();
        registry.Changed += service => { lock (changed) changed.Add(service); };
        // Watched: the not-ready pod becomes ready, another service appears.
        api.Put(Slices, Slice("reviews-abc", "reviews",
            Endpoint("10.1.0.1", "reviews-v1-a"),
            Endpoint("10.1.0.2", "reviews-v2-a"),
            Endpoint("10.1.0.3", "reviews-v2-b")));
        api.Put(Slices, Slice("ratings-xyz", "ratings", Endpoint("10.1.0.9", "ratings-a")));
        Assert.Equal(["reviews-v1-a", "reviews-v2-a", "reviews-v2-b"], (await InstancesAsync(Reviews, 3)).Select(i => i.ProxyId));
        Assert.Equal("ratings-a", (await InstancesAsync(Ratings, 1)).Single().ProxyId);
        lock (changed) Assert.Contains(Reviews, changed);

        api.Delete(Slices, "shop", "reviews-abc");
        await InstancesAsync(Reviews, 0);
        Assert.Single(registry.InstancesOf(Ratings));
    }

    [Fact]
    public async Task Watch_MalformedSlice_IsRefusedAloneWithItsReasonAndOthersApply()
    {
        api.Put(Slices, Slice("ratings-xyz", "ratings", Endpoint("10.1.0.9", "ratings-a")));
        api.Put(Slices, Slice("reviews-abc", "reviews", Endpoint("10.1.0.1", "reviews-v1-a")));
        await StartDiscoveryAsync();
        await InstancesAsync(Reviews, 1);

        // A bad address in a changed slice: refused, its last accepted endpoints stay.
        api.Put(Slices, Slice("reviews-abc", "reviews", Endpoint("10.1.0.1", "reviews-v1-a"), Endpoint("10.1.0.300", "reviews-v2-a")));
        // A new slice whose service name breaks the name rules: refused, nothing registered for it.
        api.Put(Slices, Slice("bad-name", "Bad_Service", Endpoint("10.1.0.5", "reviews-v2-b")));
        // After both, a good change to another slice still applies.
        api.Put(Slices, Slice("ratings-xyz", "ratings", Endpoint("10.1.0.9", "ratings-a"), Endpoint("10.1.0.10", "reviews-v2-b")));

        await InstancesAsync(Ratings, 2);
        var events = await Eventually.ValueAsync(() => RefusalEvents() is { Count: 2 } found ? found : null, "two refusals reported");
        Assert.Contains(events, e => e.Contains("shop/reviews-abc") && e.Contains("endpoints[1].addresses[0] '10.1.0.300' is not an IPv4 address"));
        Assert.Contains(events, e => e.Contains("shop/bad-name") && e.Contains("metadata.labels[kubernetes.io/service-name] 'Bad_Service' is not a service name"));
        Assert.Equal(["reviews-v1-a"], registry.InstancesOf(Reviews).Select(i => i.ProxyId));
        Assert.DoesNotContain(registry.Instances(), i => i.Service == "Bad_Service");

        // Fixed: applies again.
        api.Put(Slices, Slice("reviews-abc", "reviews", Endpoint("10.1.0.1", "reviews-v1-a"), Endpoint("10.1.0.2", "reviews-v2-a")));
        await InstancesAsync(Reviews, 2);
    }

    [Fact]
    public async Task Watch_ConnectionDropped_ReconnectsAndCatchesUp()
    {
        api.Put(Slices, Slice("reviews-abc", "reviews", Endpoint("10.1.0.1", "reviews-v1-a")));
        await StartDiscoveryAsync();
        await InstancesAsync(Reviews, 1);
        await Eventually.HoldsAsync(() => Task.FromResult(api.CountRequests("/namespaces/shop/endpointslices", watch: true) == 1), "the watch opened");

        api.DropWatches();
        // Changed while no watch was open: the next list or watch must bring it.
        api.Put(Slices, Slice("reviews-abc", "reviews", Endpoint("10.1.0.1", "reviews-v1-a"), Endpoint("10.1.0.2", "reviews-v2-a")));

        await InstancesAsync(Reviews, 2);
        await Eventually.HoldsAsync(() => Task.FromResult(api.CountRequests("/namespaces/shop/endpointslices", watch: true) >= 2), "a new watch opened");
        // Instances stayed while the watch was down: nothing was dropped on the way.
        api.Put(Slices, Slice("ratings-xyz", "ratings", Endpoint("10.1.0.9", "ratings-a")));
        await InstancesAsync(Ratings, 1);
    }

    [Fact]
    public async Task ApiServerDown_InstancesStayAsLastSeen_AndCatchUpWhenItIsBack()
    {
        api.Put(Slices, Slice("reviews-abc", "reviews", Endpoint("10.1.0.1", "reviews-v1-a"), Endpoint("10.1.0.2", "reviews-v2-a")));
        await StartDiscoveryAsync();
        await InstancesAsync(Reviews, 2);
        await Eventually.HoldsAsync(() => Task.FromResult(api.CountRequests("/namespaces/shop/endpointslices", watch: true) == 1), "the watch opened");
        var lists = api.CountRequests("/namespaces/shop/endpointslices", watch: false);

        api.GoDown();
        // Retried (with backoff) and failing: an unreachable API server says nothing about the pods.
        await Eventually.HoldsAsync(() => Task.FromResult(api.CountRequests("/namespaces/shop/endpointslices", watch: false) >= lists + 3), "re-lists tried while down");
        Assert.Equal(["reviews-v1-a", "reviews-v2-a"], registry.InstancesOf(Reviews).Select(i => i.ProxyId));

        api.Delete(Slices, "shop", "reviews-abc");
        api.Unavailable = false;
        await InstancesAsync(Reviews, 0);
    }

    [Fact]
    public async Task Watch_Gone410_RelistsAndCatchesUp()
    {
        api.Put(Slices, Slice("reviews-abc", "reviews", Endpoint("10.1.0.1", "reviews-v1-a")));
        await StartDiscoveryAsync();
        await InstancesAsync(Reviews, 1);
        await Eventually.HoldsAsync(() => Task.FromResult(api.CountRequests("/namespaces/shop/endpointslices", watch: true) == 1), "the watch opened");
        var lists = api.CountRequests("/namespaces/shop/endpointslices", watch: false);

        api.ExpireWatches();
        api.Delete(Slices, "shop", "reviews-abc");

        await InstancesAsync(Reviews, 0);
        Assert.True(api.CountRequests("/namespaces/shop/endpointslices", watch: false) > lists, "410 Gone re-lists");
    }

    [Fact]
    public async Task Instances_PodWhoseProxyRegistered_CountsOnceAsItsProxy()
    {
        api.Put(Slices, Slice("reviews-abc", "reviews", Endpoint("10.1.0.1", "reviews-v1-a"), Endpoint("10.1.0.2", "reviews-v2-a")));
        await StartDiscoveryAsync();
        await InstancesAsync(Reviews, 2);

        registry.Register(new RegisteredInstance
        {
            ConnectionId = Guid.NewGuid(),
            Instance = new Instance { Id = "reviews-v1-a", ProxyId = "reviews-v1-a", Service = "reviews", Namespace = "shop", Version = "v1", Address = "10.1.0.1:15006", Health = InstanceHealth.Unhealthy },
        });

        var instances = registry.InstancesOf(Reviews);
        Assert.Equal(2, instances.Count);
        Assert.Equal(InstanceHealth.Unhealthy, instances.Single(i => i.ProxyId == "reviews-v1-a").Health);
    }

    private async Task<IReadOnlyList<Instance>> InstancesAsync(ServiceRef service, int count) =>
        await Eventually.ValueAsync(() => registry.InstancesOf(service) is var found && found.Count == count ? found : null,
            $"{count} instances of {service}");

    private List<string>? RefusalEvents() =>
        fleet.ChangesSince(0).Events.Where(e => e.Kind == "EndpointSliceRefused").Select(e => e.Message).ToList();

    private static JsonObject Pod(string name, Dictionary<string, string> labels, bool meshed = true)
    {
        var containers = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "shop/app:1" });
        if (meshed) containers.Add(new JsonObject { ["name"] = SidecarInjector.ProxyContainerName, ["image"] = "meshwork/proxy:1" });
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = "shop",
                ["uid"] = "uid-" + name,
                ["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))),
            },
            ["spec"] = new JsonObject { ["containers"] = containers },
        };
    }

    private static JsonObject Endpoint(string ip, string pod, bool ready = true) => new()
    {
        ["addresses"] = new JsonArray(ip),
        ["conditions"] = new JsonObject { ["ready"] = ready },
        ["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = "shop", ["name"] = pod, ["uid"] = "uid-" + pod },
    };

    private static JsonObject Slice(string name, string service, params JsonObject[] endpoints) => new()
    {
        ["apiVersion"] = "discovery.k8s.io/v1",
        ["kind"] = "EndpointSlice",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = "shop",
            ["labels"] = new JsonObject { [EndpointSliceMapper.ServiceNameLabel] = service },
        },
        ["addressType"] = "IPv4",
        ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 8080, ["protocol"] = "TCP" }),
        ["endpoints"] = new JsonArray([.. endpoints]),
    };
}
