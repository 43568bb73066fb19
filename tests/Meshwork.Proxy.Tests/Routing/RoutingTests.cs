using System.Net;
using Meshwork.Proxy.Tests.Infrastructure;

namespace Meshwork.Proxy.Tests.Routing;

[Collection(MeshCollection.Name)]
public sealed class RoutingTests(MeshFixture mesh)
{
    [Fact]
    public async Task WeightedSplit_NinetyTenOver2000Requests_WithinFourSigma()
    {
        const int total = 2000;
        var v2 = 0;
        var failures = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, total), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            using var response = await mesh.Outbound.GetAsync("http://reviews/", ct);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref failures);
                return;
            }
            if ((await MeshFixture.EchoAsync(response)).Version == "v2")
                Interlocked.Increment(ref v2);
        });
        Assert.Equal(0, failures);
        // Binomial(2000, 0.1): mean 200, sigma ~13.4; 4 sigma leaves a 1-in-15,000 false alarm.
        var sigma = Math.Sqrt(total * 0.1 * 0.9);
        Assert.InRange(v2, 200 - 4 * sigma, 200 + 4 * sigma);
    }

    [Theory]
    [InlineData("http://reviews/whoami", "reviews")]               // one hop: outbound to the app
    [InlineData("http://reviews.default/whoami", "reviews.default")]
    [InlineData("http://secure/whoami", "secure")]                 // two hops: outbound, mTLS, the secure sidecar's inbound, its app
    public async Task AppSeesTheHostItsCallerSent_NotTheSidecarsAddress(string url, string expectedHost)
    {
        using var response = await mesh.Outbound.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expectedHost, (await MeshFixture.EchoAsync(response)).Headers["host"]);
    }

    [Fact]
    public async Task HeaderMatch_BetaHeader_RoutesToV2AndAppliesResponseFilter()
    {
        for (var i = 0; i < 20; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "http://reviews/items");
            request.Headers.Add("x-beta", "true");
            using var response = await mesh.Outbound.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("v2", (await MeshFixture.EchoAsync(response)).Version);
            Assert.Equal("beta", response.Headers.GetValues("x-route").Single());
        }
    }

    [Fact]
    public async Task Mirror_BetaRule_CopiesRequestsToV1WithoutAffectingResponses()
    {
        var before = await mesh.ReviewsV1.RequestCountAsync();
        for (var i = 0; i < 10; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "http://reviews/mirrored");
            request.Headers.Add("x-beta", "true");
            using var response = await mesh.Outbound.SendAsync(request);
            Assert.Equal("v2", (await MeshFixture.EchoAsync(response)).Version);
        }
        // Mirrors are fire-and-forget: wait for them to land rather than assume they already have.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (await mesh.ReviewsV1.RequestCountAsync() - before < 10 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(await mesh.ReviewsV1.RequestCountAsync() - before >= 10);
    }

    [Fact]
    public async Task FaultInjection_AbortRule_ReturnsConfiguredStatusWithoutCallingBackend()
    {
        using var response = await mesh.Outbound.GetAsync("http://reviews/fault/x");
        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("abort", response.Headers.GetValues("x-meshwork-fault").Single());
    }

    /// <summary>Routes match the normalised path (the one access policies judge and the upstream gets), not the one written.</summary>
    [Theory]
    [InlineData("http://reviews//fault/x")]
    [InlineData("http://reviews/x/..//fault//x")]
    [InlineData("http://reviews/%66ault/x")]
    public async Task RouteMatch_UnnormalisedPath_MatchesTheNormalisedForm(string url)
    {
        using var response = await mesh.Outbound.GetAsync(new Uri(url, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("abort", response.Headers.GetValues("x-meshwork-fault").Single());
    }

    [Fact]
    public async Task UnknownHost_NoVirtualHost_Returns404()
    {
        using var response = await mesh.Outbound.GetAsync("http://nowhere.example/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("host", response.Headers.GetValues("x-meshwork-no-route").Single());
    }

    [Fact]
    public async Task HostHeader_DirectCallToOutboundListener_RoutesByHost()
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.WebOutboundPort}/direct");
        request.Headers.Host = "ratings.default.svc.cluster.local";
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ratings", (await MeshFixture.EchoAsync(response)).Service);
    }

    [Fact]
    public async Task Redirect_MovedPrefix_Returns301WithRewrittenLocation()
    {
        using var client = new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy($"http://127.0.0.1:{mesh.WebOutboundPort}"),
            UseProxy = true,
            AllowAutoRedirect = false,
        });
        using var response = await client.GetAsync("http://reviews/old/page?id=7");
        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("http://reviews/new/page?id=7", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task ConsistentHash_SameUserHeader_AlwaysSameEndpoint()
    {
        var seen = new HashSet<string>();
        for (var user = 0; user < 20; user++)
        {
            var instances = new HashSet<string>();
            for (var i = 0; i < 5; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "http://sticky/cart");
                request.Headers.Add("x-user", $"user-{user}");
                using var response = await mesh.Outbound.SendAsync(request);
                instances.Add((await MeshFixture.EchoAsync(response)).Instance);
            }
            Assert.Single(instances);
            seen.UnionWith(instances);
        }
        // 20 users over 2 endpoints: both get some (all on one would be a 1-in-500,000 fluke).
        Assert.Equal(2, seen.Count);
    }
}
