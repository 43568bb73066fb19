using System.Net;
using Meshwork.Proxy.Tests.Infrastructure;

namespace Meshwork.Proxy.Tests.Routing;

/// <summary>
/// The outbound listener takes HTTP/2 with prior knowledge (h2c) beside HTTP/1.1 on one port
/// (Transport/H2cPriorKnowledge): an h2c request reaches an HTTP/1.1 app behind an mTLS sidecar.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class H2cTests(MeshFixture mesh)
{
    [Fact]
    public async Task H2cPriorKnowledge_ToTheOutboundListener_ReachesTheAppBehindAnMtlsSidecar()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.WebOutboundPort}/h2c?x=1")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = "secure";

        using var response = await client.SendAsync(request);

        Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20), (response.StatusCode, response.Version));
        var echo = await MeshFixture.EchoAsync(response);
        Assert.Equal(("reviews", "GET", "/h2c?x=1"), (echo.Service, echo.Method, echo.Path));
    }

    [Fact]
    public async Task Http11_OnTheSamePort_StillServed()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{mesh.WebOutboundPort}/h1");
        request.Headers.Host = "secure";

        using var response = await client.SendAsync(request);

        Assert.Equal((HttpStatusCode.OK, HttpVersion.Version11), (response.StatusCode, response.Version));
    }
}
