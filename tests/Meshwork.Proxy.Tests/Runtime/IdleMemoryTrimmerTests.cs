using System.Net;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Waiting;

namespace Meshwork.Proxy.Tests.Runtime;

/// <summary>An idle proxy gives the heap it grew under traffic back to the OS (IdleMemoryTrimmer).</summary>
public sealed class IdleMemoryTrimmerTests
{
    [Fact]
    public async Task AfterTraffic_IdleProxy_ReturnsHeapToTheOs()
    {
        await using var backend = await ScriptedBackend.StartAsync("orders-1");
        await using var sidecar = await PlainSidecar.StartAsync("proxy-idle", [PlainSidecar.Service("orders")], ("orders", backend));

        // Traffic grows the heap (every request allocates) past what an idle proxy needs: by about 5 MB with the
        // 4 MB gen0 budget cap (src/Directory.Build.props), 7-8 MB without it. An idle proxy that is not trimmed
        // runs no collection and gives back nothing, so a 2 MB drop is the trimmer's.
        for (var i = 0; i < 3000; i++)
        {
            using var response = await sidecar.Client.GetAsync($"http://orders/items/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var underTraffic = AnonymousKb(sidecar.Proxy.Process.Id);

        await Eventually.HoldsAsync(() => Task.FromResult(AnonymousKb(sidecar.Proxy.Process.Id) < underTraffic - 2 * 1024),
            $"anonymous memory below {underTraffic - 2 * 1024} kB once idle (was {underTraffic} kB under traffic)");
    }

    private static long AnonymousKb(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("RssAnon:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
