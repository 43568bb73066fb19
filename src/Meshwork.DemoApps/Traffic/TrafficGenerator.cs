using System.Diagnostics;
using System.Net;

namespace Meshwork.DemoApps.Traffic;

/// <summary>
/// Sends a steady request rate to mesh services through a sidecar's outbound listener (as an
/// HTTP proxy), so the portal's topology and golden signals have live traffic to show.
/// Usage: traffic --proxy http://127.0.0.1:15001 --rps 20 [--duration 60s] http://reviews/ http://ratings/
/// </summary>
public static class TrafficGenerator
{
    private static readonly TimeSpan WarmupPerTarget = TimeSpan.FromSeconds(3);
    private const int MinimumWarmupRequests = 3;

    public static async Task<int> RunAsync(string[] args)
    {
        string? proxy = null;
        double rps = 10;
        TimeSpan? duration = null;
        var targets = new List<Uri>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--proxy": proxy = args[++i]; break;
                case "--rps": rps = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--duration": duration = Model.Serialization.Durations.Parse(args[++i]); break;
                default: targets.Add(new Uri(args[i])); break;
            }
        }
        if (targets.Count == 0 || rps <= 0)
        {
            await Console.Error.WriteLineAsync("usage: traffic [--proxy URL] [--rps N] [--duration 60s] TARGET-URL...");
            return 2;
        }

        using var handler = new SocketsHttpHandler { Proxy = proxy is null ? null : new WebProxy(proxy), UseProxy = proxy is not null };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        if (duration is { } d)
            stop.CancelAfter(d);

        var clock = Stopwatch.StartNew();
        long sent = 0, ok = 0, failed = 0;

        async Task SendAsync(Uri target)
        {
            var started = clock.Elapsed;
            try
            {
                using var response = await client.GetAsync(target, stop.Token);
                Interlocked.Increment(ref response.IsSuccessStatusCode ? ref ok : ref failed);
                if (!response.IsSuccessStatusCode)
                    ReportFailure(Interlocked.Read(ref failed), started, clock.Elapsed, target, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(stop.Token)}");
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                ReportFailure(Interlocked.Increment(ref failed), started, clock.Elapsed, target, e.Message);
            }
            catch (OperationCanceledException)
            {
            }
        }

        // Warm-up, as load generators such as fortio do: requests one at a time for a while per target,
        // so connections and code paths along every route (each version of a canary split, even a 10%
        // one) are set up before the open loop's first burst. A burst that meets them cold on a busy
        // machine outlasts per-try timeouts all at once; one request at a time is retried within budget.
        foreach (var target in targets)
        {
            var warmUntil = clock.Elapsed + WarmupPerTarget;
            for (var i = 0; (i < MinimumWarmupRequests || clock.Elapsed < warmUntil) && !stop.IsCancellationRequested; i++, sent++)
                await SendAsync(target);
        }

        // Open loop: requests start on schedule whether or not earlier ones finished.
        var interval = TimeSpan.FromSeconds(1 / rps);
        var loopStart = clock.Elapsed;
        var loopSent = 0L;
        var reportAt = TimeSpan.FromSeconds(5);
        while (!stop.IsCancellationRequested)
        {
            var wait = loopStart + interval * loopSent - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try { await Task.Delay(wait, stop.Token); } catch (OperationCanceledException) { break; }
            }
            var target = targets[(int)(loopSent++ % targets.Count)];
            sent++;
            _ = Task.Run(() => SendAsync(target));
            if (clock.Elapsed > reportAt)
            {
                Console.WriteLine($"sent={sent} ok={Interlocked.Read(ref ok)} failed={Interlocked.Read(ref failed)}");
                reportAt += TimeSpan.FromSeconds(5);
            }
        }
        Console.WriteLine($"sent={sent} ok={Interlocked.Read(ref ok)} failed={Interlocked.Read(ref failed)}");
        return 0;
    }

    // Why a request failed and when, so the demo log explains a failure count; the first 20 and
    // then every 100th, so an outage does not flood the log.
    private static void ReportFailure(long failedSoFar, TimeSpan started, TimeSpan ended, Uri target, string why)
    {
        if (failedSoFar > 20 && failedSoFar % 100 != 0)
            return;
        Console.WriteLine($"failed #{failedSoFar} at +{ended.TotalSeconds:F1} s after {(ended - started).TotalMilliseconds:F0} ms: {target} {why.ReplaceLineEndings(" ")}");
    }
}
