using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// Two sidecar processes on the same resources, one with <c>Proxy:Http1Engine=Kestrel</c> (Kestrel and YARP
/// for every request) and one with the default engine (Auto, which is the lean path without tracing; its
/// /stats must say so: <see cref="LeanCountsAsync"/>), in front of real Kestrel echo backends: "alpha" and "beta"
/// (host "shop" splits 3:1 between them), "retried" (a retry policy: not lean), and "raw", a TCP
/// server with hand-written responses (<see cref="RawBackend"/>).
/// </summary>
public sealed class LeanMesh : IAsyncDisposable
{
    private LeanMesh(EchoBackend alpha, EchoBackend beta, EchoBackend retried, RawBackend raw, ProxyProcess kestrel, int kestrelPort, ProxyProcess lean, int leanPort)
    {
        Alpha = alpha;
        Beta = beta;
        Retried = retried;
        Raw = raw;
        Kestrel = kestrel;
        KestrelPort = kestrelPort;
        Lean = lean;
        LeanPort = leanPort;
    }

    public EchoBackend Alpha { get; }
    public EchoBackend Beta { get; }
    public EchoBackend Retried { get; }
    public RawBackend Raw { get; }
    public ProxyProcess Kestrel { get; }
    public int KestrelPort { get; }
    public ProxyProcess Lean { get; }
    public int LeanPort { get; }

    public static async Task<LeanMesh> StartAsync(string name)
    {
        var alpha = await EchoBackend.StartAsync("alpha");
        var beta = await EchoBackend.StartAsync("beta");
        var retried = await EchoBackend.StartAsync("retried");
        var raw = RawBackend.Start();
        var kestrelPort = FreePort.Next();
        var kestrel = await ProxyProcess.StartAsync(Snapshot(name + "-kestrel", kestrelPort, alpha, beta, retried, raw), name + "-kestrel",
            settings: ["--Proxy:Http1Engine", "Kestrel"]);
        var leanPort = FreePort.Next();
        var lean = await ProxyProcess.StartAsync(Snapshot(name + "-lean", leanPort, alpha, beta, retried, raw), name + "-lean");
        return new LeanMesh(alpha, beta, retried, raw, kestrel, kestrelPort, lean, leanPort);
    }

    private static ProxySnapshot Snapshot(string proxyId, int outboundPort, EchoBackend alpha, EchoBackend beta, EchoBackend retried, RawBackend raw)
    {
        IReadOnlyList<Resource> resources =
        [
            PlainSidecar.Service("shop"),
            PlainSidecar.Service("alpha"),
            PlainSidecar.Service("beta"),
            PlainSidecar.Service("retried"),
            PlainSidecar.Service("raw"),
            new HttpRoute
            {
                Metadata = new ResourceMetadata { Name = "shop" },
                ParentRefs = [new ParentRef { Name = "shop" }],
                Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "alpha", Weight = 3 }, new BackendRef { Service = "beta", Weight = 1 }] }],
            },
            new ResiliencePolicy
            {
                Metadata = new ResourceMetadata { Name = "retried" },
                Service = "retried",
                Retries = new RetryPolicy { Attempts = 2, RetryOn = ["5xx"] },
            },
        ];
        Instance Endpoint(string service, string address) => new()
        {
            Id = $"{service}-1", Service = service, Version = "v1", Address = address, ProxyId = $"{service}-1", Health = InstanceHealth.Healthy,
        };
        return SnapshotHash.WithHash(SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = resources,
            Instances = [Endpoint("alpha", alpha.Address), Endpoint("beta", beta.Address), Endpoint("retried", retried.Address), Endpoint("raw", raw.Address)],
            Proxy = new ProxyIdentity { ProxyId = proxyId, Service = "client", Version = "v1", OutboundPort = outboundPort },
            Version = 1,
        }));
    }

    /// <summary>The lean proxy's /stats "http1" part: requests it served itself, connections it handed to Kestrel.</summary>
    public async Task<(long LeanRequests, long HandedOver)> LeanCountsAsync()
    {
        var http1 = (await Lean.StatsAsync()).GetProperty("http1");
        Assert.Equal("lean", http1.GetProperty("engine").GetString());
        return (http1.GetProperty("leanRequests").GetInt64(), http1.GetProperty("handedOver").GetInt64());
    }

    /// <summary>The proxy's /stats traffic rows as "destination route status: requests" lines, sorted.</summary>
    public static async Task<string[]> TrafficAsync(ProxyProcess proxy) =>
        (await proxy.StatsAsync()).GetProperty("traffic").EnumerateArray()
            .Select(t => $"{t.GetProperty("destination").GetString()} {t.GetProperty("version").GetString()} {t.GetProperty("route").GetString()} {t.GetProperty("statusClass").GetString()}: {t.GetProperty("requests").GetInt64()}")
            .Order(StringComparer.Ordinal).ToArray();

    /// <summary>The proxy's meshwork_proxy_requests_total series (labels and count), sorted.</summary>
    public static async Task<string[]> RequestSeriesAsync(ProxyProcess proxy) =>
        (await proxy.MetricsAsync()).Split('\n').Where(l => l.StartsWith("meshwork_proxy_requests_total{", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();

    public static Echo ParseEcho(RawResponse response) => JsonSerializer.Deserialize<Echo>(response.Body)!;

    public async ValueTask DisposeAsync()
    {
        await Kestrel.DisposeAsync();
        await Lean.DisposeAsync();
        await Alpha.DisposeAsync();
        await Beta.DisposeAsync();
        await Retried.DisposeAsync();
        Raw.Dispose();
    }
}

/// <summary>
/// A TCP server that answers each request (by its path) with exact response bytes no HTTP library
/// would produce on demand: chunked with an extension and a trailer, delimited by the close, 204,
/// an interim 100 first, malformed (a header line without a colon), or closed right after a keep-alive
/// response. Keep-alive between requests otherwise.
/// </summary>
public sealed class RawBackend : IDisposable
{
    public static readonly IReadOnlyDictionary<string, string> Responses = new Dictionary<string, string>
    {
        ["/chunked"] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n",
        ["/close"] = "HTTP/1.1 200 OK\r\nX-Kind: close\r\n\r\nuntil the end",
        ["/empty"] = "HTTP/1.1 204 No Content\r\nX-Kind: empty\r\n\r\n",
        ["/interim"] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ["/broken"] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nNo colon here\r\n\r\nok",
        // Framed for keep-alive, but the connection is closed after it: the next request on it finds it dead.
        ["/once"] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nonce",
    };

    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();
    private int hangsStarted;
    private int hangsEnded;

    private RawBackend(TcpListener listener) => this.listener = listener;

    public string Address => $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>Requests for /hang received: never answered, the connection held until the proxy closes it.</summary>
    public int HangsStarted => Volatile.Read(ref hangsStarted);

    /// <summary>/hang connections the proxy closed.</summary>
    public int HangsEnded => Volatile.Read(ref hangsEnded);

    public static RawBackend Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var backend = new RawBackend(listener);
        _ = backend.AcceptAsync();
        return backend;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
                _ = AnswerAsync(await listener.AcceptTcpClientAsync(stop.Token), this);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private static async Task AnswerAsync(TcpClient client, RawBackend backend)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var received = "";
                var buffer = new byte[4096];
                while (true)
                {
                    var end = received.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end < 0)
                    {
                        var read = await stream.ReadAsync(buffer);
                        if (read == 0)
                            return;
                        received += Encoding.Latin1.GetString(buffer, 0, read);
                        continue;
                    }
                    var path = received.Split(' ')[1];
                    received = received[(end + 4)..];
                    if (path == "/hang")
                    {
                        Interlocked.Increment(ref backend.hangsStarted);
                        while (await stream.ReadAsync(buffer) > 0)
                        {
                        }
                        Interlocked.Increment(ref backend.hangsEnded);
                        return;
                    }
                    await stream.WriteAsync(Encoding.Latin1.GetBytes(Responses[path]));
                    if (path is "/close" or "/broken" or "/once")
                    {
                        client.Client.Shutdown(SocketShutdown.Send);
                        return;
                    }
                }
            }
            catch (IOException)
            {
            }
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        stop.Dispose();
    }
}
