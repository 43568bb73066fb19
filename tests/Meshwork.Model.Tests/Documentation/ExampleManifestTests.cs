using System.Text.RegularExpressions;
using Meshwork.Model.Policy;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Tests.Documentation;

/// <summary>Every manifest users are shown (docs/examples and the YAML in docs/resource-model.md) reads and validates cleanly.</summary>
public partial class ExampleManifestTests
{
    private static readonly string Root = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Portal.sln not found above " + AppContext.BaseDirectory);
    }

    private static IReadOnlyList<string> ExampleFiles() =>
        Directory.GetFiles(Path.Combine(Root, "docs", "examples"), "*.yaml").Order(StringComparer.Ordinal).ToList();

    private static IReadOnlyList<Resource> ReadAllExamples()
    {
        var resources = new List<Resource>();
        foreach (var file in ExampleFiles())
        {
            var read = ResourceYaml.Read(File.ReadAllText(file));
            Assert.True(read.Issues.Count == 0, $"{Path.GetFileName(file)}:\n{string.Join("\n", read.Issues)}");
            resources.AddRange(read.Resources);
        }
        return resources;
    }

    [Fact]
    public void Examples_ReadAndValidate_WithoutIssues()
    {
        var resources = ReadAllExamples();
        var result = ResourceValidator.ValidateAll(resources, ValidationContext.From(resources));
        Assert.True(result.Issues.Count == 0, string.Join("\n", result.Issues));
    }

    private static IReadOnlyList<Resource> ReadDemoShopManifests()
    {
        var resources = new List<Resource>();
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "docs", "examples", "demo"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var read = ResourceYaml.Read(File.ReadAllText(file));
            Assert.True(read.Issues.Count == 0, $"{Path.GetFileName(file)}:\n{string.Join("\n", read.Issues)}");
            resources.AddRange(read.Resources);
        }
        return resources;
    }

    /// <summary>The demo shop's desired state (seeded by ./meshwork up) stands on its own.</summary>
    [Fact]
    public void DemoShopManifests_ReadAndValidate_WithoutIssues()
    {
        var resources = ReadDemoShopManifests();
        Assert.Contains(resources, r => r is HttpRoute);
        var result = ResourceValidator.ValidateAll(resources, ValidationContext.From(resources));
        Assert.True(result.Issues.Count == 0, string.Join("\n", result.Issues));
    }

    /// <summary>The demo shop's access policies allow exactly its call graph, judged by the evaluator the
    /// proxies enforce with. The gateway is no destination: it has no inbound listener (no app behind it).</summary>
    [Fact]
    public void DemoShopAccessPolicies_AllowExactlyTheShopsCallGraph()
    {
        HashSet<(string From, string To)> callGraph =
            [("gateway", "frontend"), ("frontend", "catalog"), ("frontend", "reviews"), ("catalog", "pricing"), ("reviews", "ratings")];
        var resources = ReadDemoShopManifests();
        var services = resources.OfType<Service>().Select(s => s.Metadata.Name).ToList();
        var policies = resources.OfType<AccessPolicy>().ToList();
        Assert.Equal(["catalog", "frontend", "gateway", "pricing", "ratings", "reviews"], services.Order());
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
                Assert.True(decision.Allowed == callGraph.Contains((from, to)), $"{from} -> {to}: {decision}");
            }
        }
    }

    [Fact]
    public void Examples_CoverEveryKind()
    {
        var kinds = ReadAllExamples().Select(r => r.Kind).Distinct();
        Assert.Equal(Enum.GetValues<ResourceKind>().Order(), kinds.Order());
    }

    [Fact]
    public void Examples_RoundTripThroughWrite()
    {
        var resources = ReadAllExamples();
        var again = ResourceYaml.Read(ResourceYaml.Write(resources));
        Assert.Empty(again.Issues);
        Assert.Equal(resources.Select(MeshworkJson.Canonical), again.Resources.Select(MeshworkJson.Canonical));
    }

    [GeneratedRegex("```yaml\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();

    [Fact]
    public void ResourceModelDoc_YamlBlocks_ValidateAgainstTheExampleServices()
    {
        var doc = File.ReadAllText(Path.Combine(Root, "docs", "resource-model.md")).ReplaceLineEndings("\n");
        var blocks = YamlBlock().Matches(doc).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(blocks);
        var services = ReadAllExamples().OfType<Service>().ToList();
        var kinds = new HashSet<ResourceKind>();
        foreach (var block in blocks)
        {
            var read = ResourceYaml.Read(block);
            Assert.True(read.Issues.Count == 0, $"{block}\n{string.Join("\n", read.Issues)}");
            var context = ValidationContext.From(services.Concat(read.Resources));
            var result = ResourceValidator.ValidateAll(read.Resources, context);
            Assert.True(result.Issues.Count == 0, $"{block}\n{string.Join("\n", result.Issues)}");
            kinds.UnionWith(read.Resources.Select(r => r.Kind));
        }
        Assert.Equal(Enum.GetValues<ResourceKind>().Order(), kinds.Order());
    }
}
