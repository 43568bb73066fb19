using Meshwork.ControlPlane.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Meshwork.ControlPlane.Tests.Mesh;

[Collection(MeshCollection.Name)]
public sealed class CertificateRotationTests(RotatingMeshFixture mesh, ITestOutputHelper output) : IClassFixture<RotatingMeshFixture>
{
    [Fact]
    public async Task Certificates_RotatingDuringTraffic_FailNoRequest()
    {
        await using var status = new StatusWatcher(mesh.ControlPlane);
        await status.WaitUntilAsync(s => s.Proxy("orders-v1-1")?.CertificateNotAfterUnixMs > 0, TimeSpan.FromSeconds(30), "certificate issued");
        var seen = new HashSet<(string Proxy, long NotAfter)>();

        await using (var load = new LoadLoop(mesh.Web.OutboundClient, "http://orders/"))
        {
            // 6 s certificates renew every 4 s: 13 s of traffic spans at least two rotations of every proxy.
            var until = DateTime.UtcNow.AddSeconds(13);
            while (DateTime.UtcNow < until)
            {
                foreach (var proxy in mesh.Proxies)
                    if (status.Proxy(proxy.Id)?.CertificateNotAfterUnixMs is > 0 and var notAfter) seen.Add((proxy.Id, notAfter));
                await Task.Delay(100);
            }
            await load.DisposeAsync();
            output.WriteLine($"{load.Requests} requests across {seen.Count} distinct certificates, {load.Failures} failed");
            Assert.True(load.Failures == 0, string.Join("\n", load.FailureSamples) + "\n" + mesh.Diagnostics());
            Assert.True(load.Requests > 50, $"only {load.Requests} requests");
        }
        // The same traffic, as the portal sees it: golden signals aggregated from the proxies' 1 s stats.
        await status.WaitUntilAsync(s => s.Feed.Edges.Any(e => e.SourceService == "web" && e.DestinationService == "orders"),
            TimeSpan.FromSeconds(10), "web -> orders edge");
        var edge = status.Feed.Edges.First(e => e.SourceService == "web" && e.DestinationService == "orders");
        output.WriteLine($"edge web -> orders {edge.DestinationVersion}: {edge.Signals}");
        Assert.True(edge.Signals.Rps > 0);
        Assert.Equal(1.0, edge.Signals.SuccessRate);
        Assert.True(edge.Signals.P50Ms > 0 && edge.Signals.P50Ms <= edge.Signals.P99Ms, edge.Signals.ToString());
        Assert.Contains(status.Feed.ServiceVersions, v => v.Service == "orders" && v.Signals.Requests > 0 && v.Instances >= 1);

        foreach (var proxy in mesh.Proxies)
            Assert.True(seen.Count(c => c.Proxy == proxy.Id) >= 3, $"{proxy.Id}: expected at least two rotations, saw {seen.Count(c => c.Proxy == proxy.Id)} certificates");
    }
}
