using Meshwork.Proxy.Tests.Infrastructure;

namespace Meshwork.Proxy.Tests.Routing;

[Collection(MeshCollection.Name)]
public sealed class SmokeTests(MeshFixture mesh)
{
    [Fact]
    public async Task Outbound_ServiceHost_ReachesBackend()
    {
        using var response = await mesh.Outbound.GetAsync("http://ratings/hello");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
    }

    [Fact]
    public async Task Outbound_SecureService_GoesThroughMtlsSidecar()
    {
        using var response = await mesh.Outbound.GetAsync("http://secure/public");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body + mesh.Secure.Process.Output + mesh.Web.Process.Output);
    }
}
