using Meshwork.Proxy.Config;
using Meshwork.Proxy.L4;
using Meshwork.Proxy.Runtime;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.Telemetry;

/// <summary>Every interval, drains <see cref="ProxyStats"/> and <see cref="TcpMetrics"/> and hands the report to each <see cref="IProxyStatsSubscriber"/>.</summary>
public sealed class StatsReporter(
    ProxyStats stats, MeshRuntime runtime, IEnumerable<IProxyStatsSubscriber> subscribers, IOptions<ProxyOptions> options,
    TimeProvider clock, ILogger<StatsReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var all = subscribers.ToArray();
        if (all.Length == 0)
            return;
        using var timer = new PeriodicTimer(options.Value.StatsInterval, clock);
        var from = clock.GetUtcNow();
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var to = clock.GetUtcNow();
            var current = runtime.Current;
            var report = new ProxyStatsReport
            {
                ProxyId = current?.Model.Identity.ProxyId ?? "",
                From = from,
                To = to,
                Traffic = stats.Drain(),
                Tcp = TcpMetrics.Drain(),
                SnapshotVersion = current?.Version ?? 0,
                SnapshotHash = current?.Hash ?? "",
            };
            from = to;
            foreach (var subscriber in all)
            {
                try
                {
                    await subscriber.OnStatsAsync(report, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Stats subscriber {Subscriber} failed", subscriber.GetType().Name);
                }
            }
        }
    }
}
