using System.Net;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Routing;

[Collection(MeshCollection.Name)]
public sealed class GatewayTests(MeshFixture mesh)
{
    [Fact]
    public async Task Gateway_TlsListener_RoutesByHostnameWithRewrite()
    {
        var port = FreePort.Next();
        var route = new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "shop" },
            ParentRefs = [new ParentRef { Kind = ParentKind.Gateway, Name = "edge" }],
            Hostnames = ["shop.example.com"],
            Rules =
            [
                new HttpRouteRule
                {
                    Matches = [new HttpRouteMatch { Path = new PathMatch { Type = PathMatchType.PathPrefix, Value = "/api" } }],
                    Filters = [new HttpRouteFilter { Type = HttpRouteFilterType.UrlRewrite, UrlRewrite = new UrlRewrite { Path = new PathModifier { Type = PathModifierType.ReplacePrefixMatch, Value = "/v2api" } } }],
                    BackendRefs = [new BackendRef { Service = "reviews", Version = "v2" }],
                },
            ],
        };
        var compiled = SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = [.. MeshFixture.MeshResources(), route],
            Instances = mesh.Instances(),
            Proxy = new ProxyIdentity { ProxyId = "edge-1", Service = "edge", GatewayPort = port, GatewayTls = true },
            Certificates = mesh.Certificates("edge"),
            Version = 1,
        });
        var snapshot = SnapshotHash.WithHash(compiled with { Clusters = compiled.Clusters.Select(c => c with { MeshTls = false }).ToArray() });
        await using var gateway = await ProxyProcess.StartAsync(snapshot, "proxy-edge");

        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => mesh.Ca.Issued(certificate);
        using var client = new HttpClient(handler);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/api/items?x=1");
        request.Headers.Host = "shop.example.com";
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await MeshFixture.EchoAsync(response);
        Assert.Equal(("v2", "/v2api/items?x=1"), (echo.Version, echo.Path));

        using var other = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{port}/api/items");
        other.Headers.Host = "unknown.example.com";
        using var notFound = await client.SendAsync(other);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
    }
}
