using Meshwork.Proxy.ControlPlane;

namespace Meshwork.Proxy.Tests.ControlPlane;

public sealed class ControlPlaneFailoverTests
{
    private static readonly string[] ThreeReplicas = ["https://cp-a:15010", "https://cp-b:15010", "https://cp-c:15010"];
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(200);

    private static ControlPlaneFailover Failover(IReadOnlyList<string> addresses, string proxyId = "web-v1-1") =>
        new(addresses, proxyId, new ReconnectBackoff(Initial, TimeSpan.FromSeconds(10)));

    [Fact]
    public void Current_SameProxyId_StartsAtTheSameAddressInEveryProcess()
    {
        // SHA-256 of the id, not string.GetHashCode (randomized per process): a restarted proxy goes back to
        // its replica. 2 is the first four bytes of SHA-256("orders-v2-7"), little-endian, modulo 3.
        Assert.Equal(Failover(ThreeReplicas, "orders-v2-7").Current, Failover(ThreeReplicas, "orders-v2-7").Current);
        Assert.Equal(2, ControlPlaneFailover.StartIndex("orders-v2-7", 3));
    }

    [Fact]
    public void Current_ManyProxies_SpreadOverEveryReplica()
    {
        var perReplica = Enumerable.Range(0, 300).GroupBy(i => Failover(ThreeReplicas, $"proxy-{i}").Current).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(3, perReplica.Count);
        Assert.All(perReplica.Values, count => Assert.InRange(count, 70, 130));
    }

    [Fact]
    public void Failed_EstablishedStreamBreaks_NextAddressAtOnce()
    {
        var failover = Failover(ThreeReplicas);
        var first = failover.Current;
        failover.Established();

        var delay = failover.Failed();

        Assert.Equal(TimeSpan.Zero, delay);
        Assert.Equal(Next(first), failover.Current);
    }

    [Fact]
    public void Failed_EveryAddressInARow_WaitsOncePerCycleAndTheWaitGrows()
    {
        var failover = Failover(ThreeReplicas);
        var start = failover.Current;

        var firstCycle = new[] { failover.Failed(), failover.Failed(), failover.Failed() };
        Assert.Equal(start, failover.Current);
        var secondCycle = new[] { failover.Failed(), failover.Failed(), failover.Failed() };

        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero], firstCycle[..2]);
        Assert.InRange(firstCycle[2].TotalMilliseconds, 100, 200);
        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero], secondCycle[..2]);
        Assert.InRange(secondCycle[2].TotalMilliseconds, 200, 400);
    }

    [Fact]
    public void Failed_AfterEstablished_BackoffStartsAgain()
    {
        var failover = Failover(ThreeReplicas);
        for (var i = 0; i < 9; i++) failover.Failed();
        failover.Established();

        var cycle = new[] { failover.Failed(), failover.Failed(), failover.Failed() };

        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero], cycle[..2]);
        Assert.InRange(cycle[2].TotalMilliseconds, 100, 200);
    }

    [Fact]
    public void Failed_OneAddress_WaitsTheBackoffEveryTimeAsBefore()
    {
        var failover = Failover(["https://cp:15010"]);
        failover.Established();

        var afterBreak = failover.Failed();
        var afterRefused = failover.Failed();

        Assert.Equal("https://cp:15010", failover.Current);
        Assert.InRange(afterBreak.TotalMilliseconds, 100, 200);
        Assert.InRange(afterRefused.TotalMilliseconds, 200, 400);
    }

    [Fact]
    public void Failed_RetryAfterHint_WaitsTheHintEvenWithAddressesLeft()
    {
        var failover = Failover(ThreeReplicas);
        var first = failover.Current;

        var delay = failover.Failed(TimeSpan.FromSeconds(2));

        Assert.Equal(Next(first), failover.Current);
        Assert.InRange(delay.TotalMilliseconds, 2_000, 2_500);
    }

    private static string Next(string address) => ThreeReplicas[(Array.IndexOf(ThreeReplicas, address) + 1) % ThreeReplicas.Length];
}
