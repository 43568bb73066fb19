using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using static Meshwork.Store.Tests.TestResources;

namespace Meshwork.Store.Tests;

public sealed class RoundTripTests : StoreDatabase
{
    /// <summary>Resources using much of the model: every one must read back exactly as written.</summary>
    public static TheoryData<string> Samples() => new(AllSamples().Select(r => r.Key.ToString()));

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task GetAsync_AfterApply_ReturnsCanonicallyEqualResource(string key)
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(Checkout(), Alice));
        var resource = AllSamples().Single(r => r.Key.ToString() == key);

        var result = await service.ApplyAsync(resource, Alice);

        var applied = Assert.IsType<ChangeResult.Applied>(result is ChangeResult.Invalid invalid
            ? throw new Xunit.Sdk.XunitException("sample is invalid: " + string.Join("; ", invalid.Validation.Issues))
            : result);
        var expected = MeshworkJson.Canonical(resource with { Metadata = resource.Metadata with { Version = applied.Resources[0].Resource.Metadata.Version } });
        await using var other = OpenContext();
        var stored = await ServiceOver(other).GetAsync(resource.Key);
        Assert.Equal(expected, MeshworkJson.Canonical(stored!.Resource));
        var revision = (await ServiceOver(other).ListRevisionsAsync(resource.Key))[^1];
        Assert.Equal(expected, MeshworkJson.Canonical(revision.Resource!));
    }

    private static IEnumerable<Resource> AllSamples()
    {
        yield return Checkout(description: "Zahlungen ✓ \"quoted\" \\ back\\slash <tag> & 日本") with
        {
            Metadata = new ResourceMetadata { Name = "payments", Namespace = "shop", Labels = new Dictionary<string, string> { ["tier"] = "backend", ["app.kubernetes.io/part-of"] = "shop" } },
        };
        yield return CheckoutRoute(canaryWeight: 25) with
        {
            Hostnames = ["checkout.example.com"],
            Rules =
            [
                .. CheckoutRoute(25).Rules,
                new HttpRouteRule
                {
                    Matches = [new HttpRouteMatch
                    {
                        Path = new PathMatch { Type = PathMatchType.RegularExpression, Value = "^/v[0-9]+/items$" },
                        Headers = [new HeaderMatch { Name = "x-canary", Value = "true" }],
                        QueryParams = [new QueryParamMatch { Type = StringMatchType.RegularExpression, Name = "q", Value = "a.*" }],
                    }],
                    Filters =
                    [
                        new HttpRouteFilter { Type = HttpRouteFilterType.RequestHeaderModifier, RequestHeaderModifier = new HeaderModifier { Set = [new HttpHeader { Name = "x-a", Value = "1" }], Remove = ["x-b"] } },
                        new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new RequestMirror { BackendRef = new BackendRef { Service = "checkout", Version = "v2" }, Percent = 12.5 } },
                    ],
                    BackendRefs = [new BackendRef { Service = "checkout", Version = "v2", Weight = 1 }],
                    Fault = new FaultInjection { Delay = new FaultDelay { FixedDelay = TimeSpan.FromMilliseconds(1500), Percent = 5 } },
                },
            ],
        };
        yield return new ResiliencePolicy
        {
            Metadata = new ResourceMetadata { Name = "checkout-resilience" },
            Service = "checkout",
            Retries = new RetryPolicy { PerTryTimeout = TimeSpan.FromMilliseconds(250) },
            OutlierDetection = new OutlierDetection(),
            RateLimit = new LocalRateLimit { MaxTokens = 100, TokensPerFill = 10, FillInterval = TimeSpan.FromMilliseconds(100) },
        };
        yield return new AccessPolicy
        {
            Metadata = new ResourceMetadata { Name = "checkout-access" },
            Action = AccessAction.Deny,
            Rules = [new AccessRule
            {
                From = [new AccessSource { Services = ["checkout"] }],
                To = [new AccessOperation { Methods = ["POST"], Paths = ["/admin/*"] }],
            }],
        };
        yield return new Rollout
        {
            Metadata = new ResourceMetadata { Name = "checkout-rollout" },
            Service = "checkout",
            StableVersion = "v1",
            CanaryVersion = "v2",
            Steps = [new RolloutStep { Pause = new RolloutPause { Duration = TimeSpan.FromMinutes(2) } }],
        };
        yield return new MeshSettings
        {
            Metadata = new ResourceMetadata { Name = "mesh" },
            DefaultAccessMode = AccessMode.DefaultDeny,
            CertificateTtl = TimeSpan.FromHours(12),
        };
    }
}
