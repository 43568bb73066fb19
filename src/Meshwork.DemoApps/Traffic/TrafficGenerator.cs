using System.Diagnostics;
using System.Net;

namespace Meshwork.DemoApps.Traffic;

/// <summary>
/// Sends a steady request rate to mesh services (through a sidecar's outbound listener as HTTP
/// proxy, or straight at a gateway), so the portal's topology and golden signals have live traffic.
/// With --admin-urls it serves GET/PUT /traffic there: the rate and the mix change at run time.
/// Usage: traffic [--proxy http://127.0.0.1:15001] [--rps 20] [--duration 60s] [--admin-urls http://127.0.0.1:18090] URL...
/// (a URL given twice gets twice the share of the requests).
/// </summary>
public static class TrafficGenerator
{
    private static readonly TimeSpan WarmupPerTarget = TimeSpan.FromSeconds(3);
    private const int MinimumWarmupRequests = 3;

    public static async Task<int> RunAsync(string[] args)
    {
        string? proxy = null, adminUrls = null;
        double rps = 10;
        TimeSpan? duration = null;
        var urls = new List<Uri>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--proxy": proxy = args[++i]; break;
                case "--rps": rps = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--duration": duration = Model.Serialization.Durations.Parse(args[++i]); break;
                case "--admin-urls": adminUrls = args[++i]; break;
                default: urls.Add(new Uri(args[i])); break;
            }
        }
        if (urls.Count == 0 || rps is < 0 or > TrafficPlan.MaxRps)
        {
            await Console.Error.WriteLineAsync($"usage: traffic [--proxy URL] [--rps 0..{TrafficPlan.MaxRps}] [--duration 60s] [--admin-urls URL] TARGET-URL...");
            return 2;
        }

        var control = new TrafficControl(new TrafficPlan(rps, TrafficPlan.FromUrls(urls)));
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        if (duration is { } d)
            stop.CancelAfter(d);

        WebApplication? admin = null;
        if (adminUrls is not null)
        {
            admin = TrafficAdmin.Create(control, adminUrls);
            await admin.StartAsync(stop.Token);
            // The host now owns SIGTERM (it keeps the process alive until it stopped): stop sending then.
            admin.Lifetime.ApplicationStopping.Register(stop.Cancel);
        }
        try
        {
            await SendAsync(control, proxy, stop.Token);
        }
        finally
        {
            if (admin is not null)
                await admin.DisposeAsync();
        }
        Console.WriteLine($"sent={control.Sent} ok={control.Ok} failed={control.Failed}");
        return 0;
    }

    private static async Task SendAsync(TrafficControl control, string? proxy, CancellationToken stop)
    {
        using var handler = new SocketsHttpHandler { Proxy = proxy is null ? null : new WebProxy(proxy), UseProxy = proxy is not null };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        var clock = Stopwatch.StartNew();

        async Task SendOneAsync(Uri target)
        {
            var started = clock.Elapsed;
            control.CountSent();
            try
            {
                using var response = await client.GetAsync(target, stop);
                if (response.IsSuccessStatusCode)
                    control.CountOk();
                else
                    ReportFailure(control.CountFailed(), started, clock.Elapsed, target, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(stop)}");
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                ReportFailure(control.CountFailed(), started, clock.Elapsed, target, e.Message);
            }
            catch (OperationCanceledException)
            {
            }
        }

        // Warm-up, as load generators such as fortio do: requests one at a time for a while per target,
        // so connections and code paths along every route (each version of a canary split, even a 10%
        // one) are set up before the open loop's first burst. A burst that meets them cold on a busy
        // machine outlasts per-try timeouts all at once; one request at a time is retried within budget.
        foreach (var target in control.Plan.Targets.Where(t => t.Weight > 0))
        {
            var warmUntil = clock.Elapsed + WarmupPerTarget;
            for (var i = 0; (i < MinimumWarmupRequests || clock.Elapsed < warmUntil) && !stop.IsCancellationRequested; i++)
                await SendOneAsync(target.Url);
        }

        // Open loop: requests start on schedule whether or not earlier ones finished. A new plan
        // starts a new schedule from now, with its own rotation over the new mix.
        var reportAt = clock.Elapsed + TimeSpan.FromSeconds(5);
        while (!stop.IsCancellationRequested)
        {
            var changed = control.Changed;
            var plan = control.Plan;
            var rotation = plan.Rps > 0 ? new WeightedRotation(plan.Targets) : null;
            var interval = plan.Rps > 0 ? TimeSpan.FromSeconds(1 / plan.Rps) : Timeout.InfiniteTimeSpan;
            var loopStart = clock.Elapsed;
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stop, changed);
            for (var loopSent = 0L; !wake.IsCancellationRequested; loopSent++)
            {
                // Paused (0 requests/s) waits for a change, reporting every 5 s all the same.
                var due = rotation is null ? reportAt : loopStart + interval * loopSent;
                var wait = (due < reportAt ? due : reportAt) - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    try { await Task.Delay(wait, wake.Token); } catch (OperationCanceledException) { break; }
                }
                if (clock.Elapsed >= reportAt)
                {
                    Console.WriteLine($"sent={control.Sent} ok={control.Ok} failed={control.Failed}");
                    reportAt += TimeSpan.FromSeconds(5);
                }
                if (rotation is null || clock.Elapsed < due)
                {
                    loopSent--;   // woke to report, not to send
                    continue;
                }
                var target = rotation.Next().Url;
                _ = Task.Run(() => SendOneAsync(target), CancellationToken.None);
            }
        }
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
