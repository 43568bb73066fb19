using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Snapshots;
using Meshwork.Protocol.Transport;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.Security;
using Meshwork.Proxy.Telemetry;
using Microsoft.Extensions.Options;

namespace Meshwork.Proxy.ControlPlane;

/// <summary>
/// The proxy end of the control plane stream. Connects with the proxy's identity and its workload
/// certificate as TLS client certificate once it has one (<see cref="ControlPlaneClientCertificate"/>),
/// the bootstrap token until then, yields every snapshot it receives to the proxy's applier, sends the ACK/NACK the
/// applier reports, the local app's health and the traffic stats every second. When the stream
/// breaks it reconnects, to the next control plane replica when several are configured
/// (<see cref="ControlPlaneFailover"/> chooses where and how long to wait), while the proxy keeps
/// serving its last applied snapshot: nothing here ever clears configuration. On a clean stop
/// <see cref="DrainOnStop"/> has it say Goodbye first.
/// </summary>
public sealed class ControlPlaneSnapshotSource : ISnapshotSource, IProxyStatsSubscriber, IAsyncDisposable
{
    private static readonly TimeSpan HealthyStreamAge = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan GoodbyeWriteTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan TapFlushInterval = TimeSpan.FromMilliseconds(250);

    private readonly ControlPlaneClientOptions options;
    private readonly ControlPlaneClientCertificate clientCertificate;
    private readonly ControlPlaneFailover failover;
    private readonly ILogger<ControlPlaneSnapshotSource> logger;
    private readonly RequestTap tap;
    private readonly HttpClient appClient;
    private readonly Channel<ProxySnapshot> received = Channel.CreateBounded<ProxySnapshot>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource stopping = new();
    private int disposed;
    private readonly Lock gate = new();
    private Channel<ProxyMessage>? outgoing;
    private Task? loop;
    private readonly ByteString signingRequest;
    private long servingVersion;
    private string servingHash = "";
    private volatile bool leaving;
    private readonly TaskCompletionSource goodbyeWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ControlPlaneSnapshotSource(IOptions<ControlPlaneClientOptions> options, IOptions<ProxyOptions> proxy,
        LastGoodSnapshotStore lastGood, ProxyKey ownKey, ControlPlaneClientCertificate clientCertificate, RequestTap tap,
        ILogger<ControlPlaneSnapshotSource> logger)
    {
        this.tap = tap;
        this.options = WithProxyDefaults(options.Value, proxy.Value);
        this.clientCertificate = clientCertificate;
        failover = new ControlPlaneFailover(ControlPlaneAddressList.Split(this.options.Address), this.options.EffectiveProxyId,
            new ReconnectBackoff(this.options.InitialBackoff, this.options.MaxBackoff));
        // The key is loaded (or made and stored) now, and the same CSR goes into every Hello of this
        // process, so any certificate the control plane issues matches the key the proxy holds.
        signingRequest = ByteString.CopyFrom(ownKey.SigningRequest);
        // The proxy starts serving its last good snapshot before any stream exists; saying so in the
        // Hello lets a control plane that is still rebuilding its registry leave it in place.
        if (lastGood.Load() is { } serving)
        {
            servingVersion = serving.Version;
            servingHash = serving.Hash;
        }
        this.logger = logger;
        appClient = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
    }

    /// <summary>Names the replica in use, so each applied snapshot records which one sent it.</summary>
    public string Name => $"control-plane:{Address}";

    /// <summary>The control plane address the stream is on (or is being dialled, while not <see cref="IsConnected"/>).</summary>
    public string Address => failover.Current;

    /// <summary>True while a stream is established (Hello accepted as far as we know).</summary>
    public bool IsConnected { get; private set; }

    public string? LastError { get; private set; }

    public async IAsyncEnumerable<ProxySnapshot> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        lock (gate) loop ??= Task.Run(() => RunAsync(stopping.Token));
        while (await received.Reader.WaitToReadAsync(cancellationToken))
            while (received.Reader.TryRead(out var snapshot))
                yield return snapshot;
    }

    public ValueTask ReportAsync(SnapshotApplyResult result, CancellationToken cancellationToken)
    {
        servingVersion = result.ServingVersion;
        servingHash = result.ServingHash;
        var message = result.Accepted
            ? new ProxyMessage { Ack = new Ack { Version = result.Version, Hash = result.Hash } }
            : new ProxyMessage { Nack = new Nack { Version = result.Version, Hash = result.Hash, Error = string.Join("; ", result.Errors) } };
        // If the stream broke meanwhile the next Hello carries the serving version instead.
        Volatile.Read(ref outgoing)?.Writer.TryWrite(message);
        return ValueTask.CompletedTask;
    }

    public ValueTask OnStatsAsync(ProxyStatsReport report, CancellationToken cancellationToken)
    {
        if (report.Traffic.Count > 0 || report.Tcp.Count > 0) Volatile.Read(ref outgoing)?.Writer.TryWrite(new ProxyMessage { Stats = StatsMessageBuilder.Build(report) });
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Says Goodbye on the live stream (the control plane drops this instance from callers at once)
    /// and never reconnects afterwards; the stream itself stays open, so snapshots keep arriving
    /// while the proxy drains. False when no stream is up or the Goodbye could not be written: the
    /// control plane then sees a lost connection and applies its grace period.
    /// </summary>
    public async Task<bool> LeaveAsync(string reason, CancellationToken cancellationToken)
    {
        leaving = true;
        var queue = Volatile.Read(ref outgoing);
        if (!IsConnected || queue is null || !queue.Writer.TryWrite(new ProxyMessage { Goodbye = new Goodbye { Reason = reason } }))
            return false;
        try
        {
            await goodbyeWritten.Task.WaitAsync(GoodbyeWriteTimeout, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        // One channel per replica, kept across attempts: a reconnect to a replica whose connection
        // survived (only the stream ended) reuses it, unless the workload certificate changed since
        // (the first one arrived after a join with the token, or it was renewed): the client
        // certificate is chosen at the TLS handshake, so only a new connection presents the new one.
        var channels = new Dictionary<string, (GrpcChannel Channel, string? Certificate)>();
        try
        {
            while (!ct.IsCancellationRequested && !leaving)
            {
                var address = failover.Current;
                var certificate = clientCertificate.Thumbprint();
                if (channels.TryGetValue(address, out var open) && open.Certificate != certificate)
                {
                    open.Channel.Dispose();
                    channels.Remove(address);
                }
                if (!channels.TryGetValue(address, out open)) channels[address] = open = (OpenChannel(address), certificate);
                var channel = open.Channel;
                var startedAt = DateTimeOffset.UtcNow;
                TimeSpan? retryAfter = null;
                try
                {
                    await RunStreamAsync(new MeshControl.MeshControlClient(channel), address, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied)
                {
                    LastError = $"refused: {ex.Status.Detail}";
                    logger.LogError("Control plane at {Address} refused this proxy ({Detail}); check ControlPlane:BootstrapToken", address, ex.Status.Detail);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                {
                    retryAfter = RetryAfter(ex.Trailers);
                    LastError = $"throttled, retry after {retryAfter?.TotalMilliseconds:0} ms";
                    logger.LogInformation("Control plane at {Address} is throttling new streams; retrying after {RetryAfter}", address, retryAfter);
                }
                catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException or ObjectDisposedException)
                {
                    LastError = ex.Message;
                    logger.LogWarning("Control plane stream to {Address} lost ({Message}); serving snapshot {Version} meanwhile", address, ex.Message, servingVersion);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    // Anything else is a defect, but never one that leaves the proxy without a control
                    // plane for good: it is logged and the stream is tried again like a lost one.
                    LastError = ex.Message;
                    logger.LogError(ex, "Control plane stream to {Address} failed unexpectedly; serving snapshot {Version} meanwhile", address, servingVersion);
                }
                finally
                {
                    IsConnected = false;
                    Interlocked.Exchange(ref outgoing, null)?.Writer.TryComplete();
                }

                // A proxy that said Goodbye must not register again from a reconnect while it drains.
                if (leaving) break;
                if (DateTimeOffset.UtcNow - startedAt >= HealthyStreamAge) failover.Established();
                var delay = failover.Failed(retryAfter);
                if (delay == TimeSpan.Zero) continue;
                try
                {
                    await Task.Delay(delay, ct);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            foreach (var (channel, _) in channels.Values) channel.Dispose();
        }
    }

    private GrpcChannel OpenChannel(string address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        // https:// is verified against the trust bundle only and must present the control plane's pinned SPIFFE id (Meshwork.Protocol's ControlPlaneTls).
        HttpHandler = ControlPlaneTls.Secure(new SocketsHttpHandler
        {
            // Notice a dead control plane (or a half-open connection) within seconds, not at the next TCP timeout.
            KeepAlivePingDelay = TimeSpan.FromSeconds(5),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = TimeSpan.FromSeconds(3),
            EnableMultipleHttp2Connections = true,
            // After the first join the workload certificate is the credential (the token only joins).
            SslOptions = { LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate.Current()! },
        }, address, options.TrustBundleFile, logger, options.TrustDomain),
    });

    private void MarkConnected(string address, string? replica)
    {
        IsConnected = true;
        LastError = null;
        failover.Established();
        logger.LogInformation("Connected to the control plane at {Address} (replica {Replica})", address, replica ?? "unnamed");
    }

    private async Task RunStreamAsync(MeshControl.MeshControlClient client, string address, CancellationToken ct)
    {
        using var streamCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var call = client.Connect(cancellationToken: streamCts.Token);
        var queue = Channel.CreateBounded<ProxyMessage>(new BoundedChannelOptions(256)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        await call.RequestStream.WriteAsync(new ProxyMessage { Hello = BuildHello() }, ct);
        // The control plane sends headers once it admitted the Hello (a refusal ends the call instead).
        // A replica this proxy fails over to may push nothing: it compiles the snapshot already served.
        var headers = await call.ResponseHeadersAsync;
        // A refusal comes as a trailers-only response, whose trailers arrive here as headers.
        if (EndedAlready(call) is { } refusal) throw new RpcException(refusal);
        MarkConnected(address, headers.GetValue("meshwork-replica"));
        Volatile.Write(ref outgoing, queue);

        var writer = WriteAsync(call.RequestStream, queue.Reader, streamCts.Token);
        var health = ReportHealthAsync(queue.Writer, streamCts.Token);
        var tapFlush = FlushTapAsync(queue.Writer, streamCts.Token);
        try
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
            {
                if (message.MessageCase == ControlMessage.MessageOneofCase.Tap)
                {
                    tap.Apply(message.Tap);
                    continue;
                }
                if (message.MessageCase != ControlMessage.MessageOneofCase.Snapshot) continue;
                // With inline I/O this loop runs on a socket thread that also serves requests: parse and
                // apply large snapshots on the thread pool instead.
                await Task.Yield();
                ProxySnapshot snapshot;
                try
                {
                    snapshot = ProxySnapshot.Parser.ParseFrom(message.Snapshot.Content);
                    snapshot.Version = message.Snapshot.Version;
                    snapshot.Hash = message.Snapshot.Hash;
                }
                catch (Google.Protobuf.InvalidProtocolBufferException ex)
                {
                    queue.Writer.TryWrite(new ProxyMessage { Nack = new Nack
                    {
                        Version = message.Snapshot.Version, Hash = message.Snapshot.Hash, Error = $"unreadable snapshot: {ex.Message}",
                    } });
                    continue;
                }
                await received.Writer.WriteAsync(snapshot, ct);
            }
            throw new IOException("the control plane ended the stream");
        }
        finally
        {
            // A tap belongs to the stream that asked for it: another replica asks again if its watchers want one.
            tap.Stop();
            queue.Writer.TryComplete();
            await streamCts.CancelAsync();
            await Task.WhenAll(writer, health, tapFlush);
        }
    }

    /// <summary>The call's status when it has already ended (a trailers-only refusal), else null.</summary>
    private static Grpc.Core.Status? EndedAlready(AsyncDuplexStreamingCall<ProxyMessage, ControlMessage> call)
    {
        try
        {
            return call.GetStatus();
        }
        catch (InvalidOperationException)
        {
            return null; // still running: admitted
        }
    }

    private Hello BuildHello()
    {
        var hello = new Hello
        {
            BootstrapToken = options.BootstrapToken,
            ProxyId = options.EffectiveProxyId,
            Service = options.Service,
            Namespace = options.Namespace,
            Version = options.Version,
            InstanceAddress = options.InstanceAddress,
            Gateway = options.GatewayPort != 0,
            GatewayTls = options.GatewayTls,
            AppAddress = options.AppAddress,
            CertificateSigningRequest = signingRequest,
            CurrentVersion = servingVersion,
            CurrentHash = servingHash,
            ProxyBuild = typeof(ControlPlaneSnapshotSource).Assembly.GetName().Version?.ToString() ?? "",
        };
        hello.Labels.Add(options.Labels);
        if (options.InboundPort != 0) hello.Ports.Add(new NamedPort { Name = "inbound", Port = options.InboundPort });
        if (options.OutboundPort != 0) hello.Ports.Add(new NamedPort { Name = "outbound", Port = options.OutboundPort });
        if (options.GatewayPort != 0) hello.Ports.Add(new NamedPort { Name = "gateway", Port = options.GatewayPort });
        return hello;
    }

    private async Task WriteAsync(IClientStreamWriter<ProxyMessage> stream, ChannelReader<ProxyMessage> queue, CancellationToken ct)
    {
        try
        {
            await foreach (var message in queue.ReadAllAsync(ct))
            {
                await stream.WriteAsync(message, ct);
                if (message.MessageCase == ProxyMessage.MessageOneofCase.Goodbye) goodbyeWritten.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            // The read side notices the broken stream and reconnects.
        }
    }

    private async Task ReportHealthAsync(ChannelWriter<ProxyMessage> queue, CancellationToken ct)
    {
        try
        {
            using var timer = new PeriodicTimer(options.ReportInterval);
            do
            {
                var (healthy, detail) = await ProbeAppAsync(ct);
                queue.TryWrite(new ProxyMessage
                {
                    AppHealth = new AppHealth { Healthy = healthy, Detail = detail, CheckedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                });
            } while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Sends what the tap sampled in batches; a tick without a tap or without samples sends nothing.</summary>
    private async Task FlushTapAsync(ChannelWriter<ProxyMessage> queue, CancellationToken ct)
    {
        try
        {
            using var timer = new PeriodicTimer(TapFlushInterval);
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (tap.Drain() is { } batch) queue.TryWrite(new ProxyMessage { TapSamples = batch });
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<(bool Healthy, string Detail)> ProbeAppAsync(CancellationToken ct)
    {
        if (string.IsNullOrEmpty(options.AppAddress)) return (true, "no local app (gateway)");
        try
        {
            using var response = await appClient.GetAsync($"http://{options.AppAddress}{options.AppHealthPath}", ct);
            return ((int)response.StatusCode is >= 200 and < 300, $"{options.AppHealthPath} -> {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException or InvalidOperationException)
        {
            // UriFormatException / InvalidOperationException: an app address no URL can hold is an unhealthy app, not a dead client.
            if (ct.IsCancellationRequested) throw new OperationCanceledException(ct);
            return (false, $"{options.AppHealthPath} failed: {ex.Message}");
        }
    }

    /// <summary>Ports the proxy was started with (section "Proxy") fill in what the client section leaves unset.</summary>
    private static ControlPlaneClientOptions WithProxyDefaults(ControlPlaneClientOptions client, ProxyOptions proxy)
    {
        if (client.InboundPort == 0) client.InboundPort = proxy.InboundPort;
        if (client.OutboundPort == 0) client.OutboundPort = proxy.OutboundPort;
        if (client.GatewayPort == 0) client.GatewayPort = proxy.GatewayPort;
        if (!client.GatewayTls && proxy.GatewayTls == true) client.GatewayTls = true;
        if (string.IsNullOrEmpty(client.InstanceAddress) && client.InboundPort != 0) client.InstanceAddress = $"127.0.0.1:{client.InboundPort}";
        return client;
    }

    private static TimeSpan? RetryAfter(Metadata trailers) =>
        trailers.GetValue("retry-after-ms") is { } value && long.TryParse(value, out var ms) ? TimeSpan.FromMilliseconds(ms) : null;

    public async ValueTask DisposeAsync()
    {
        // The container disposes this one instance once per interface it is registered under.
        if (Interlocked.Exchange(ref disposed, 1) == 1)
            return;
        await stopping.CancelAsync();
        if (loop is not null)
        {
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
            }
        }
        appClient.Dispose();
        stopping.Dispose();
    }
}
