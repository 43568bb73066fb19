using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;
using Meshwork.Model.Resources;

namespace ProxyBench;

/// <summary>
/// bench/lib/proxy-tcp.sh's tools for the L4 (TcpRoute) benchmark: a TCP echo server (the app), the snapshots of
/// the two sidecars, and a load generator that sends fixed-size messages and waits for each echo (one round trip).
/// Throughput is closed loop (round trips per second over many connections); latency is open loop at a constant
/// rate, each round trip measured from its due time (coordinated omission corrected, as <see cref="OpenLoopLoad"/>).
/// </summary>
internal static class TcpBench
{
    /// <summary>tcp-echo --port N: echoes every byte on every connection until the peer closes.</summary>
    public static async Task<int> EchoAsync(Options options)
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, options.Int("port", 18300)));
        listener.Listen(1024);
        while (true)
        {
            var client = await listener.AcceptAsync();
            client.NoDelay = true;
            _ = Task.Run(async () =>
            {
                using var _ = client;
                var buffer = new byte[16 * 1024];
                try
                {
                    int read;
                    while ((read = await client.ReceiveAsync(buffer)) > 0)
                        await client.SendAsync(buffer.AsMemory(0, read));
                }
                catch (SocketException)
                {
                }
            });
        }
    }

    /// <summary>
    /// tcp-snapshots --dir DIR --echo HOST:PORT --hop1 PORT --hop2 PORT --inbound PORT: sidecar "client" serves two
    /// TcpRoutes, port hop1 straight to the echo app (plain, one proxy) and port hop2 through sidecar "server" (mTLS,
    /// two proxies), whose inbound listener relays to the echo app.
    /// </summary>
    public static int WriteSnapshots(Options options)
    {
        BenchSnapshots.WriteClientAndServer(
            options.Get("dir"), filePrefix: "tcp-", appAddress: options.Get("echo"), plainService: "echo", mtlsService: "echo-mtls",
            options.Int("outbound", 18303), options.Int("inbound", 18306),
            extraResources: [Route("echo", options.Int("hop1", 18302)), Route("echo-mtls", options.Int("hop2", 18304))]);
        return 0;
    }

    private static TcpRoute Route(string service, int port) => new()
    {
        Metadata = new() { Name = service },
        Service = service,
        Port = port,
        Rules = [new() { BackendRefs = [new() { Service = service, Version = "v1" }] }],
    };

    /// <summary>
    /// tcp-load --target HOST:PORT --connections C --duration 5s [--size 1024] [--rate R] [--warmup 2s]: without a rate,
    /// every connection sends its next message as soon as the echo of the previous one is back (throughput); with one,
    /// round trips are due at a constant total rate spread over the connections (latency).
    /// </summary>
    public static async Task<int> LoadAsync(Options options)
    {
        var target = options.Get("target");
        var colon = target.LastIndexOf(':');
        var endpoint = new IPEndPoint(IPAddress.Parse(target[..colon]), int.Parse(target[(colon + 1)..], CultureInfo.InvariantCulture));
        var connections = options.Int("connections", 64);
        var size = options.Int("size", 1024);
        var rate = options.Int("rate", 0);
        var duration = options.Duration("duration", "5s");
        var warmup = options.Duration("warmup", "2s");
        ThreadPool.SetMinThreads(16, 16);

        var sockets = new Socket[connections];
        for (var i = 0; i < connections; i++)
        {
            sockets[i] = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await sockets[i].ConnectAsync(endpoint);
        }
        await RunAsync(sockets, size, rate, warmup, histogram: null);
        var histogram = new LongHistogram(TimeSpan.FromSeconds(60).Ticks, 3);
        var (roundTrips, errors) = await RunAsync(sockets, size, rate, duration, histogram);
        foreach (var socket in sockets)
            socket.Dispose();
        double Ms(double percentile) => histogram.GetValueAtPercentile(percentile) / (double)TimeSpan.TicksPerMillisecond;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tcp: rps={roundTrips / duration.TotalSeconds:F0} mbps={roundTrips * size * 8 / duration.TotalSeconds / 1e6:F1} errors={errors} p50_ms={Ms(50):F3} p99_ms={Ms(99):F3} max_ms={histogram.GetMaxValue() / (double)TimeSpan.TicksPerMillisecond:F3}"));
        return errors > 0 ? 1 : 0;
    }

    private static async Task<(long RoundTrips, long Errors)> RunAsync(Socket[] sockets, int size, int rate, TimeSpan duration, LongHistogram? histogram)
    {
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long roundTrips = 0, errors = 0;
        var gate = new Lock();
        var tasks = sockets.Select((socket, index) => Task.Run(async () =>
        {
            var message = new byte[size];
            var echoed = new byte[size];
            // Open loop: connection k's i-th round trip is due at start + (i * C + k) / rate.
            var interval = rate > 0 ? Stopwatch.Frequency * (double)sockets.Length / rate : 0;
            var due = start + (rate > 0 ? (long)(Stopwatch.Frequency * (double)index / rate) : 0);
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (rate > 0)
                {
                    if (due >= end)
                        break;
                    if (due > now)
                        await Task.Delay(Stopwatch.GetElapsedTime(now, due));
                }
                else if (now >= end)
                {
                    break;
                }
                var from = rate > 0 ? due : Stopwatch.GetTimestamp();
                try
                {
                    await socket.SendAsync(message);
                    var read = 0;
                    while (read < size)
                    {
                        var n = await socket.ReceiveAsync(echoed.AsMemory(read));
                        if (n == 0)
                            throw new SocketException((int)SocketError.ConnectionReset);
                        read += n;
                    }
                    Interlocked.Increment(ref roundTrips);
                    if (histogram is not null)
                        lock (gate)
                            histogram.RecordValue(Math.Max(0, Stopwatch.GetElapsedTime(from).Ticks)); // a timer may wake a little early
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref errors);
                    return;
                }
                due += (long)interval;
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        return (roundTrips, errors);
    }
}
