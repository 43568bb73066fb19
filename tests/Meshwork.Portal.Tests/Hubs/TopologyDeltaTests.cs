using Meshwork.Portal.Hubs;
using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.Tests.Hubs;

/// <summary>
/// The delta between two topology views, over many random pairs of meshes (edges coming and going, rates, failures,
/// live rollouts starting and ending): a client holding the first view that applies it holds exactly the second, and
/// it names only elements that changed, with only their changed fields.
/// </summary>
public sealed class TopologyDeltaTests
{
    private static readonly string[] Services = ["web", "orders", "cart", "payments", "search"];

    [Fact]
    public void Delta_AppliedToTheViewBefore_GivesTheViewAfter_AndNamesOnlyWhatChanged()
    {
        var random = new Random(1515);
        for (var pair = 0; pair < 300; pair++)
        {
            var before = View(random);
            var after = View(random);

            var delta = after.DeltaFrom(before);
            var client = new TopologyClient();
            client.Apply(TopologyUpdate.Snapshot(1, before));
            client.Apply(TopologyUpdate.Delta(2, after, delta));

            Assert.Equal(TopologyClient.Sorted(after.Elements), client.Elements);
            foreach (var change in delta.Changed)
            {
                var (had, has) = (before.Find(change.Id)!, after.Find(change.Id)!);
                Assert.NotEqual(had, has);
                Assert.Equal(change.Label is not null, had.Data.Label != has.Data.Label);
                Assert.Equal(change.Classes is not null, had.Classes != has.Classes);
                Assert.Equal(change.Canary is not null, had.Data.Canary != has.Data.Canary);
            }
            Assert.Equal(after.Elements.Count(e => before.Find(e.Data.Id) is { } had && had != e), delta.Changed.Count);
            Assert.Same(delta, after.DeltaFrom(before)); // made once for every stream taking the same step
        }
    }

    [Fact]
    public void Delta_FromTheSameView_IsEmpty()
    {
        var view = View(new Random(7));

        var delta = view.DeltaFrom(view);

        Assert.Empty(delta.Added);
        Assert.Empty(delta.Changed);
        Assert.Empty(delta.Removed);
    }

    /// <summary>A random mesh between <see cref="Services"/> (each with v1, some calls to a v2), maybe with a live rollout of orders.</summary>
    private static TopologyView View(Random random)
    {
        var edges = new List<EdgeSignals>();
        foreach (var from in Services)
        foreach (var to in Services.Where(to => to != from && random.Next(3) == 0))
        foreach (var version in random.Next(4) == 0 ? new[] { "v1", "v2" } : ["v1"])
        {
            var requests = (ulong)random.Next(0, 4) * 50;
            edges.Add(new EdgeSignals
            {
                SourceService = from, SourceNamespace = "default", SourceVersion = "v1",
                DestinationService = to, DestinationNamespace = "default", DestinationVersion = version,
                Signals = new GoldenSignals { Requests = requests, Failures = Math.Min(requests, (ulong)random.Next(0, 3) * 10), Rps = requests / 10.0, WindowSeconds = 10 },
            });
        }
        IReadOnlyList<TopologyCanary> canaries = random.Next(2) == 0 ? [] : [new TopologyCanary("default", "orders", "v2", $"canary {random.Next(1, 5) * 20}% · step 1/5 · Progressing")];
        var snapshot = new MeshStatusSnapshot(LiveConnection.Connected, "http://127.0.0.1:9", null, DateTimeOffset.UtcNow, 1, [], edges, [], [], []);
        var elements = TopologyGraphModel.Build(edges, [], new TopologyFilter(), HealthThresholds.Default, canaries);
        return new TopologyView(snapshot, HealthThresholds.Default, canaries, elements);
    }
}
