using System.Net;
using Meshwork.Proxy.Tests.Infrastructure;

namespace Meshwork.Proxy.Tests.Security;

[Collection(MeshCollection.Name)]
public sealed class InboundSecurityTests(MeshFixture mesh)
{
    [Fact]
    public async Task Inbound_MeshCertificate_ForwardsToLocalApp()
    {
        using var client = mesh.InboundClient(mesh.Ca.Issue("spiffe://cluster.local/ns/default/sa/tester").Certificate);
        using var response = await client.GetAsync("/public");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("reviews-v1", (await MeshFixture.EchoAsync(response)).Instance);
    }

    [Fact]
    public async Task Inbound_DenyPolicyMatches_Returns403NamingThePolicy()
    {
        using var client = mesh.InboundClient(mesh.Ca.Issue("spiffe://cluster.local/ns/default/sa/tester").Certificate);
        using var response = await client.GetAsync("/private/data");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(MeshFixture.DenyPolicy, response.Headers.GetValues("x-meshwork-denied-by").Single());
    }

    [Fact]
    public async Task ProxyToProxy_DeniedPath_403TravelsBackThroughTheCallersSidecar()
    {
        using var denied = await mesh.Outbound.GetAsync("http://secure/private/x");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal(MeshFixture.DenyPolicy, denied.Headers.GetValues("x-meshwork-denied-by").Single());
    }

    [Fact]
    public async Task Inbound_CertificateFromUnknownCa_Refused()
    {
        using var client = mesh.InboundClient(mesh.RogueCa.Issue("spiffe://cluster.local/ns/default/sa/web").Certificate);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/public"));
    }

    [Fact]
    public async Task Inbound_NoClientCertificate_Refused()
    {
        using var client = mesh.InboundClient(null);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/public"));
    }

    [Fact]
    public async Task RateLimit_Burst_Returns429BeyondTheBucket()
    {
        using var client = mesh.InboundClient(mesh.Ca.Issue("spiffe://cluster.local/ns/default/sa/tester").Certificate);
        const int burst = 40;
        var started = DateTime.UtcNow;
        var statuses = await Task.WhenAll(Enumerable.Range(0, burst).Select(async _ =>
        {
            using var response = await client.GetAsync("/limited");
            return (response.StatusCode, Limited: response.Headers.Contains("x-meshwork-ratelimited"));
        }));
        var elapsed = DateTime.UtcNow - started;
        var ok = statuses.Count(s => s.StatusCode == HttpStatusCode.OK);
        var limited = statuses.Count(s => s.StatusCode == HttpStatusCode.TooManyRequests && s.Limited);
        Assert.Equal(burst, ok + limited);
        // A full bucket plus one fill per elapsed interval (and the one in progress) is the most that may pass.
        var refills = (int)(elapsed / MeshFixture.RateLimitFill) + 1;
        Assert.InRange(ok, 1, MeshFixture.RateLimitTokens * (1 + refills));
        Assert.True(limited > 0);
    }
}
