using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.Runtime;

/// <summary>
/// Gives memory back to the OS when the proxy has nothing to do. A sidecar sits beside every
/// workload and most of them are idle most of the time, yet the GC keeps the heap it grew for
/// start-up, snapshot builds and the last burst of traffic. Once no request has been served for a
/// whole interval, one aggressive collection compacts the heap and releases the free memory; it
/// runs again when traffic has come and gone, or when the idle proxy's own housekeeping (timers,
/// snapshot checks) has allocated a few megabytes since. The pause (milliseconds, on an idle proxy)
/// delays nobody; the first requests after it fault a few pages back in.
/// </summary>
public sealed class IdleMemoryTrimmer(ProxyStats stats, TimeProvider clock) : BackgroundService
{
    public static readonly TimeSpan IdleInterval = TimeSpan.FromSeconds(2);
    private const long IdleAllocationAllowance = 4 * 1024 * 1024;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(IdleInterval, clock);
        long lastTotal = -1;
        long? allocatedAtTrim = null;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var total = stats.TotalRequests();
            if (total != lastTotal)
            {
                lastTotal = total;
                allocatedAtTrim = null;
                continue;
            }
            if (allocatedAtTrim is { } before && GC.GetTotalAllocatedBytes() - before < IdleAllocationAllowance)
                continue;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            allocatedAtTrim = GC.GetTotalAllocatedBytes();
        }
    }
}
