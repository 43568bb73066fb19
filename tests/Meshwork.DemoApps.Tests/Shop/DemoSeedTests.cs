using Meshwork.Model.Policy;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;

namespace Meshwork.DemoApps.Tests.Shop;

/// <summary>The desired state `./meshwork up` seeds (docs/examples/demo): valid, and its access
/// policies allow exactly the shop's call graph, through the evaluator the proxies enforce with.</summary>
public sealed class DemoSeedTests
{
    private static readonly HashSet<(string From, string To)> CallGraph =
        [("gateway", "frontend"), ("frontend", "catalog"), ("frontend", "reviews"), ("catalog", "pricing"), ("reviews", "ratings")];

    private static IReadOnlyList<Resource> Seed()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Portal.sln")))
            root = root.Parent;
        var directory = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Portal.sln not found above the tests"), "docs", "examples", "demo");
        var resources = new List<Resource>();
        foreach (var file in Directory.GetFiles(directory, "*.yaml"))
        {
            var read = ResourceYaml.Read(File.ReadAllText(file));
            Assert.True(read.Issues.Count == 0, $"{file}: {string.Join("; ", read.Issues)}");
            resources.AddRange(read.Resources);
        }
        return resources;
    }

    [Fact]
    public void Seed_IsValid()
    {
        var resources = Seed();
        var result = ResourceValidator.ValidateAll(resources, ValidationContext.From(resources));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }

    [Fact]
    public void AccessPolicies_AllowExactlyTheShopsCallGraph()
    {
        var resources = Seed();
        var services = resources.OfType<Service>().Select(s => s.Metadata.Name).ToList();
        var policies = resources.OfType<AccessPolicy>().ToList();
        Assert.Equal(["catalog", "frontend", "gateway", "pricing", "ratings", "reviews"], services.Order());
        // The gateway has no inbound listener (no app behind it): no mesh call can reach it to be judged.
        foreach (var from in services)
        {
            foreach (var to in services.Where(s => s != "gateway"))
            {
                var decision = AccessPolicyEvaluator.Evaluate(policies, AccessMode.Permissive, new AccessRequest
                {
                    DestinationService = to,
                    SourcePrincipal = $"spiffe://cluster.local/ns/default/sa/{from}",
                    SourceService = from,
                    SourceNamespace = "default",
                    Path = "/products/1",
                });
                Assert.True(decision.Allowed == CallGraph.Contains((from, to)), $"{from} -> {to}: {decision}");
            }
        }
    }
}
