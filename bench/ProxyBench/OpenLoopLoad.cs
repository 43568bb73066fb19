using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace ProxyBench;

/// <summary>
/// Constant-rate (open-loop) load: request i is due at start + i/rate whether or not earlier ones
/// finished, and its latency is measured from that due time, not from when it was actually sent.
/// A stalled server therefore shows up in the percentiles instead of silently slowing the
/// generator (coordinated omission, which wrk and hey do not correct).
/// </summary>
internal static class OpenLoopLoad
{
    public static async Task<int> RunAsync(Options options)
    {
        var url = new Uri(options.Get("url"));
        var host = options.Get("host", "");
        var rate = options.Int("rate", 1000);
        var duration = options.Duration("duration", "20s");
        var warmup = options.Duration("warmup", "3s");
        var connections = options.Int("connections", 32);

        ThreadPool.SetMinThreads(16, 16);
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        using var client = new HttpMessageInvoker(handler);

        await RunPhaseAsync(client, url, host, rate, warmup, histogram: null);
        var histogram = new LongHistogram(TimeSpan.FromSeconds(60).Ticks, 3);
        var (errors, sent) = await RunPhaseAsync(client, url, host, rate, duration, histogram);

        double Ms(double percentile) => histogram.GetValueAtPercentile(percentile) / (double)TimeSpan.TicksPerMillisecond;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"latency: rate={rate} sent={sent} errors={errors} p50_ms={Ms(50):F3} p90_ms={Ms(90):F3} p99_ms={Ms(99):F3} p999_ms={Ms(99.9):F3} max_ms={histogram.GetMaxValue() / (double)TimeSpan.TicksPerMillisecond:F3}"));
        return errors > sent / 100 ? 1 : 0;
    }

    /// <summary>
    /// Schedules from a dedicated thread that sleeps or yields (never spins) until each due time,
    /// so on a single pinned core the response continuations still get the CPU. Requests in flight
    /// are counted rather than kept: a soak sends hundreds of thousands, and holding every finished
    /// task would keep its request and response alive until the end.
    /// </summary>
    private static async Task<(long Errors, long Sent)> RunPhaseAsync(HttpMessageInvoker client, Uri url, string host, int rate, TimeSpan duration, LongHistogram? histogram)
    {
        var total = (long)(rate * duration.TotalSeconds);
        var interval = Stopwatch.Frequency / (double)rate;
        long errors = 0;
        long outstanding = 1; // the scheduler's own count, released once every request is sent
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Release()
        {
            if (Interlocked.Decrement(ref outstanding) == 0)
                drained.SetResult();
        }
        var scheduler = new Thread(() =>
        {
            var start = Stopwatch.GetTimestamp();
            var sleepThreshold = Stopwatch.Frequency * 15 / 10_000; // 1.5 ms
            for (long i = 0; i < total; i++)
            {
                var due = start + (long)(i * interval);
                long ahead;
                while ((ahead = due - Stopwatch.GetTimestamp()) > 0)
                {
                    if (ahead > sleepThreshold)
                        Thread.Sleep(1);
                    else
                        Thread.Yield();
                }
                Interlocked.Increment(ref outstanding);
                _ = SendAsync(client, url, host, due, histogram, () => Interlocked.Increment(ref errors), Release);
            }
            Release();
        }) { IsBackground = true, Name = "open-loop scheduler", Priority = ThreadPriority.AboveNormal };
        scheduler.Start();
        await drained.Task;
        return (errors, total);
    }

    private static async Task SendAsync(HttpMessageInvoker client, Uri url, string host, long due, LongHistogram? histogram, Action onError, Action onDone)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (host.Length > 0)
                request.Headers.Host = host;
            using var response = await client.SendAsync(request, CancellationToken.None);
            await response.Content.CopyToAsync(Stream.Null);
            if (!response.IsSuccessStatusCode)
                onError();
        }
        catch (Exception)
        {
            // Any failure counts (a refused connect, a response body that broke off): requests are
            // counted, not awaited, so an exception left uncaught here would go unnoticed.
            onError();
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(due);
            if (histogram is not null)
            {
                lock (histogram)
                    histogram.RecordValue(Math.Max(1, elapsed.Ticks));
            }
            onDone();
        }
    }
}
