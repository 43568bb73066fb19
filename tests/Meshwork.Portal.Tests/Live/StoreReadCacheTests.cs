using Meshwork.Portal.Live;

namespace Meshwork.Portal.Tests.Live;

/// <summary>
/// The cache behind the topology's thresholds and rollouts: one read shared by every caller until desired state
/// changes or the value is too old, on a clock the test moves.
/// </summary>
public sealed class StoreReadCacheTests
{
    private sealed class ManualClock : TimeProvider
    {
        private long ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Read(ref ticks);
        public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
    }

    private readonly MeshLiveData live = new(null);
    private readonly ManualClock clock = new();
    private int reads;

    private Task<int> ReadAsync() => Task.FromResult(Interlocked.Increment(ref reads));

    [Fact]
    public async Task ManyCallers_ShareOneRead_UntilDesiredStateChanges()
    {
        var cache = new StoreReadCache<int>(live, maxAge: null, clock);

        var values = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => cache.GetAsync(ReadAsync, CancellationToken.None)));
        clock.Advance(TimeSpan.FromHours(1)); // no maximum age: time alone does not read again

        Assert.All(values, v => Assert.Equal(1, v));
        Assert.Equal(1, await cache.GetAsync(ReadAsync, CancellationToken.None));
        live.ResourcesChanged();
        Assert.Equal(2, await cache.GetAsync(ReadAsync, CancellationToken.None));
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task WithAMaximumAge_ReadsAgainOnceTheValueIsThatOld()
    {
        var cache = new StoreReadCache<int>(live, TopologyRollouts.MaxAge, clock);

        Assert.Equal(1, await cache.GetAsync(ReadAsync, CancellationToken.None));
        clock.Advance(TopologyRollouts.MaxAge - TimeSpan.FromTicks(1));
        Assert.Equal(1, await cache.GetAsync(ReadAsync, CancellationToken.None));
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(2, await cache.GetAsync(ReadAsync, CancellationToken.None));
    }

    [Fact]
    public async Task AFailedRead_IsNotKept()
    {
        var cache = new StoreReadCache<int>(live, maxAge: null, clock);

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync(() => Task.FromException<int>(new InvalidOperationException("store away")), CancellationToken.None));

        Assert.Equal(1, await cache.GetAsync(ReadAsync, CancellationToken.None));
    }
}
