using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Meshwork.ControlPlane.Certificates;
using Meshwork.ControlPlane.Compilation;
using Meshwork.ControlPlane.Registry;
using Meshwork.ControlPlane.Stats;
using Meshwork.ControlPlane.Status;
using Meshwork.ControlPlane.Tap;
using Meshwork.ControlPlane.Tokens;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Status;
using Meshwork.Store.Registry;
using Meshwork.ControlPlane.Configuration;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Streams;

/// <summary>
/// The proxy stream: admission, Hello + bootstrap token, then snapshots down and ACK/NACK, health and
/// stats and live-tap samples up, and a Goodbye from a proxy that is stopping on purpose.
/// </summary>
public sealed class MeshControlService(
    AdmissionLimiter admission,
    FailedAttemptLimiter failedAttempts,
    ProxyAuthenticator authenticator,
    ConnectionTable connections,
    ServiceRegistry registry,
    SnapshotPublisher publisher,
    StatsAggregator stats,
    TcpStatsAggregator tcpStats,
    MinuteRollups history,
    TcpMinuteRollups tcpHistory,
    KnownRoutes knownRoutes,
    FleetState fleet,
    WorkloadCertificates certificates,
    WorkloadCertificateStore certificateStore,
    TapHub taps,
    IOptions<ControlPlaneOptions> options,
    TimeProvider time,
    ILogger<MeshControlService> logger) : MeshControl.MeshControlBase
{
    public const string RetryAfterTrailer = "retry-after-ms";

    /// <summary>Response header naming the replica that admitted the stream.</summary>
    public const string ReplicaHeader = "meshwork-replica";
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LastSeenResolution = TimeSpan.FromSeconds(2);

    public override async Task Connect(IAsyncStreamReader<ProxyMessage> requestStream, IServerStreamWriter<ControlMessage> responseStream,
        ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var http = context.GetHttpContext();
        var peer = http.Connection.RemoteIpAddress;
        // A peer that keeps failing is turned away before it costs a Hello parse, a token lookup or a
        // certificate chain; the admission budget below is only spent on authenticated proxies, so a
        // flood of bad attempts cannot crowd genuine proxies out.
        if (failedAttempts.IsLimited(peer, out var backOff))
            throw new RpcException(new Grpc.Core.Status(StatusCode.ResourceExhausted, $"too many failed attempts from {peer}; retry later"),
                new Metadata { { RetryAfterTrailer, ((long)backOff.TotalMilliseconds).ToString() } });

        Hello hello;
        PublicKey publicKey;
        ProxyAuthentication authentication;
        try
        {
            (hello, publicKey) = await ReadHelloAsync(requestStream, ct);
            await publisher.Started.WaitAsync(ct);
            authentication = await authenticator.AuthenticateAsync(hello, publicKey, http.Connection.ClientCertificate,
                publisher.Desired.Settings.TrustDomain, ct);
        }
        catch (RpcException)
        {
            failedAttempts.RecordFailure(peer);
            throw;
        }
        if (!authentication.Accepted)
        {
            failedAttempts.RecordFailure(peer);
            fleet.Event("ConnectionRefused", "Warning", hello.ProxyId, hello.Service, hello.Namespace,
                $"refused from {context.Peer}: {authentication.Reason}");
            throw new RpcException(new Grpc.Core.Status(StatusCode.PermissionDenied, authentication.Reason!));
        }

        if (!admission.TryAdmit(out var retryAfter))
            throw new RpcException(new Grpc.Core.Status(StatusCode.ResourceExhausted, "control plane is admitting too many proxies; retry later"),
                new Metadata { { RetryAfterTrailer, ((long)retryAfter.TotalMilliseconds).ToString() } });

        await LoadStoredCertificateAsync(hello.ProxyId, ct);
        var connection = new ProxyConnection(hello, IdentityOf(hello), publicKey, authentication);
        if (connections.TryAdd(connection) is { } takenBy)
        {
            fleet.Event("ConnectionRefused", "Warning", hello.ProxyId, hello.Service, hello.Namespace, $"refused from {context.Peer}: {takenBy}");
            throw new RpcException(new Grpc.Core.Status(StatusCode.AlreadyExists, takenBy));
        }
        var now = time.GetUtcNow();
        // An endpoint only once its proxy serves a snapshot (it holds its certificate and can terminate
        // mTLS): one it brought along, or the first it ACKs here. Callers never reach a proxy that
        // is still waiting for its first configuration.
        var instance = new RegisteredInstance
        {
            ConnectionId = connection.Id,
            Instance = new Instance
            {
                Id = hello.ProxyId,
                ProxyId = hello.ProxyId,
                Service = hello.Service,
                Namespace = hello.Namespace,
                Version = hello.Version,
                Address = hello.InstanceAddress,
                Health = registry.Find(hello.ProxyId)?.Health ?? InstanceHealth.Unknown,
            },
            Labels = hello.Labels.ToDictionary(),
            Gateway = hello.Gateway,
        };
        if (hello.CurrentVersion != 0) registry.Register(instance);
        else connection.UnregisteredInstance = instance;
        fleet.Upsert(hello.ProxyId, status =>
        {
            status.Service = hello.Service;
            status.Namespace = hello.Namespace;
            status.Version = hello.Version;
            status.InstanceAddress = hello.InstanceAddress;
            status.Gateway = hello.Gateway;
            status.Connected = true;
            status.ConnectedSinceUnixMs = now.ToUnixTimeMilliseconds();
            status.LastSeenUnixMs = now.ToUnixTimeMilliseconds();
            // What it serves was sent to it, by this replica or another: in sync until a push says otherwise.
            if (hello.CurrentVersion != 0)
            {
                status.SentVersion = Math.Max(status.SentVersion, hello.CurrentVersion);
                status.AckedVersion = Math.Max(status.AckedVersion, hello.CurrentVersion);
                status.AckedHash = hello.CurrentHash;
            }
        });
        fleet.Event("ProxyConnected", "Info", hello.ProxyId, hello.Service, hello.Namespace,
            $"connected from {hello.InstanceAddress} ({Describe(authentication)}, serving version {hello.CurrentVersion})");
        publisher.ProxyChanged(hello.ProxyId);

        // Headers tell the proxy it was admitted now, not at the first snapshot: a proxy that fails
        // over with the snapshot this replica would compile may never be pushed one.
        await context.WriteResponseHeadersAsync(new Metadata { { ReplicaHeader, options.Value.EffectiveReplicaId } });
        var writer = connection.RunWriterAsync(responseStream, ct);
        taps.ProxyConnected(connection);
        var lastSeenPublished = now;
        // Read deadline: a proxy reports at least every few seconds (app health), so a stream that is
        // silent for StreamIdleTimeout belongs to a proxy whose machine vanished or hangs, even when
        // its TCP connection still looks open. It is closed like a lost connection (grace period).
        var idleTimeout = options.Value.StreamIdleTimeout;
        using var idle = new CancellationTokenSource();
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, connection.Closed, idle.Token);
            while (true)
            {
                idle.CancelAfter(idleTimeout);
                if (!await requestStream.MoveNext(linked.Token)) break;
                var message = requestStream.Current;
                Handle(connection, message);
                var seen = time.GetUtcNow();
                if (seen - lastSeenPublished >= LastSeenResolution)
                {
                    lastSeenPublished = seen;
                    fleet.Upsert(hello.ProxyId, status => status.LastSeenUnixMs = seen.ToUnixTimeMilliseconds());
                }
            }
        }
        catch (OperationCanceledException)
        {
            if (idle.IsCancellationRequested && !ct.IsCancellationRequested)
                connection.Close(new Grpc.Core.Status(StatusCode.DeadlineExceeded, $"no message from the proxy for {idleTimeout.TotalSeconds:0.#} s"), evict: false);
        }
        catch (IOException)
        {
            // The proxy vanished mid-stream (killed, network): same as a disconnect.
        }
        finally
        {
            connection.Close();
            await writer;
            // False when a newer stream of the same proxy took over: that one owns the instance now.
            var current = connections.Remove(connection);
            if (current && connection.Evicted)
            {
                // Its token was revoked: out of callers' snapshots now, and no certificate kept for a return.
                registry.Deregister(hello.ProxyId, connection.Id);
                certificates.Retire(hello.ProxyId);
                fleet.Remove(hello.ProxyId);
                fleet.Event("ProxyEvicted", "Warning", hello.ProxyId, hello.Service, hello.Namespace, connection.CloseStatus?.Detail ?? "evicted");
            }
            else if (current && connection.GoodbyeReason is { } reason)
            {
                // It left on purpose and its instance is already out of the registry: nothing to keep for it.
                certificates.Retire(hello.ProxyId);
                fleet.Remove(hello.ProxyId);
                fleet.Event("ProxyLeft", "Info", hello.ProxyId, hello.Service, hello.Namespace, $"left the mesh ({reason})");
            }
            else if (current)
            {
                registry.MarkDisconnected(hello.ProxyId, connection.Id);
                fleet.Upsert(hello.ProxyId, status =>
                {
                    status.Connected = false;
                    status.LastSeenUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds();
                });
                fleet.Event("ProxyDisconnected", "Info", hello.ProxyId, hello.Service, hello.Namespace,
                    connection.CloseStatus?.Detail ?? "stream ended");
            }
        }
        // Closed on purpose (credential no longer good): the proxy learns why from the status.
        if (connection.CloseStatus is { } status) throw new RpcException(status);
    }

    private static string Describe(ProxyAuthentication authentication) => authentication.Credential == ProxyCredential.WorkloadCertificate
        ? $"workload certificate, joined with token '{authentication.TokenName}'"
        : $"token '{authentication.TokenName}'";

    /// <summary>The certificate the proxy got from another replica (or this one before a restart), so its snapshot need not change.</summary>
    private async Task LoadStoredCertificateAsync(string proxyId, CancellationToken ct)
    {
        try
        {
            if (!certificates.Has(proxyId) && await certificateStore.GetAsync(proxyId, ct) is { } stored)
                certificates.Adopt(stored);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or System.Security.Cryptography.CryptographicException or TimeoutException)
        {
            // Not readable now: the proxy gets a new certificate, which costs it one snapshot push.
            fleet.Event("CertificateNotLoaded", "Warning", proxyId, null, null, $"stored certificate not readable: {ex.Message}");
        }
    }

    private void Handle(ProxyConnection connection, ProxyMessage message)
    {
        switch (message.MessageCase)
        {
            case ProxyMessage.MessageOneofCase.Ack:
                if (connection.UnregisteredInstance is { } waiting)
                {
                    connection.UnregisteredInstance = null;
                    registry.Register(waiting);
                }
                fleet.Upsert(connection.ProxyId, status =>
                {
                    status.AckedVersion = message.Ack.Version;
                    status.AckedHash = message.Ack.Hash;
                });
                break;
            case ProxyMessage.MessageOneofCase.Nack:
                var nack = message.Nack;
                fleet.Upsert(connection.ProxyId, status => status.LastNack = new NackInfo
                {
                    Version = nack.Version,
                    Error = nack.Error,
                    AtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
                });
                fleet.Event("Nack", "Warning", connection.ProxyId, connection.Identity.Service, connection.Identity.Namespace,
                    $"rejected snapshot version {nack.Version}: {nack.Error}");
                break;
            case ProxyMessage.MessageOneofCase.AppHealth:
                var health = message.AppHealth.Healthy ? InstanceHealth.Healthy : InstanceHealth.Unhealthy;
                var previous = connection.AppHealth;
                if (previous != health)
                {
                    connection.AppHealth = health;
                    fleet.Upsert(connection.ProxyId, status =>
                    {
                        status.AppHealth = health.ToString();
                        status.AppHealthDetail = message.AppHealth.Detail;
                    });
                    if (previous != InstanceHealth.Unknown || health == InstanceHealth.Unhealthy)
                        fleet.Event("HealthChanged", health == InstanceHealth.Healthy ? "Info" : "Warning", connection.ProxyId,
                            connection.Identity.Service, connection.Identity.Namespace, $"app is {health}: {message.AppHealth.Detail}");
                }
                if (connection.UnregisteredInstance is { } unregistered)
                    connection.UnregisteredInstance = unregistered with { Instance = unregistered.Instance with { Health = health } };
                else
                    registry.SetHealth(connection.ProxyId, health);
                break;
            case ProxyMessage.MessageOneofCase.Stats:
                // Edges whose names break the model's rules never become golden-signal keys.
                var edges = message.Stats.Edges;
                var malformed = edges.Count(edge => !HelloValidator.IsValid(edge));
                if (malformed > 0)
                {
                    var valid = edges.Where(HelloValidator.IsValid).ToList();
                    edges.Clear();
                    edges.Add(valid);
                    fleet.Event("StatsRejected", "Warning", connection.ProxyId, connection.Identity.Service, connection.Identity.Namespace,
                        $"dropped {malformed} stats edge(s) with names that are not valid");
                }
                // Route names become history keys: only rules of stored HttpRoutes are kept (see KnownRoutes).
                var unknownRoutes = knownRoutes.Filter(message.Stats, publisher.Desired);
                if (unknownRoutes > 0)
                    logger.LogDebug("Ignored {Count} route stat(s) from {ProxyId} for rules that are not stored", unknownRoutes, connection.ProxyId);
                stats.Record(message.Stats);
                history.Record(message.Stats);
                // TCP edges are counted live and per minute only once TcpStatsValidator accepted them.
                var tcpEdges = ValidTcpEdges(connection, message.Stats.TcpEdges);
                tcpStats.Record(connection.ProxyId, tcpEdges);
                tcpHistory.Record(tcpEdges);
                break;
            case ProxyMessage.MessageOneofCase.TapSamples:
                taps.Accept(connection, message.TapSamples);
                break;
            case ProxyMessage.MessageOneofCase.Goodbye:
                connection.GoodbyeReason = message.Goodbye.Reason;
                // The proxy keeps serving while it drains; callers must stop picking it now, not a
                // grace period after its stream ends, so the instance goes at once.
                if (registry.Deregister(connection.ProxyId, connection.Id) is not null)
                    fleet.Event("ProxyLeaving", "Info", connection.ProxyId, connection.Identity.Service, connection.Identity.Namespace,
                        $"said goodbye ({message.Goodbye.Reason}); removed from the registry while it drains");
                break;
            case ProxyMessage.MessageOneofCase.Hello:
                throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, "Hello may only be the first message"));
        }
    }

    private static async Task<(Hello Hello, PublicKey PublicKey)> ReadHelloAsync(IAsyncStreamReader<ProxyMessage> requestStream, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HelloTimeout);
        bool any;
        try
        {
            any = await requestStream.MoveNext(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "no Hello within 10 s"));
        }
        if (!any || requestStream.Current.MessageCase != ProxyMessage.MessageOneofCase.Hello)
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, "the first message must be a Hello"));
        var hello = requestStream.Current.Hello;
        if (string.IsNullOrEmpty(hello.Namespace)) hello.Namespace = ResourceMetadata.DefaultNamespace;
        if (HelloValidator.Problem(hello) is { } invalid)
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, "Hello refused: " + invalid));
        // The proxy's key stays with the proxy: it proves it holds one by signing a CSR, and its
        // certificates are issued for that request's public key.
        var publicKey = WorkloadSigningRequest.Read(hello.CertificateSigningRequest.Span, out var problem)
            ?? throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, problem!));
        return (hello, publicKey);
    }

    private static ProxyIdentity IdentityOf(Hello hello)
    {
        int Port(string name) => hello.Ports.FirstOrDefault(p => p.Name == name)?.Port ?? 0;
        return new ProxyIdentity
        {
            ProxyId = hello.ProxyId,
            Service = hello.Service,
            Namespace = hello.Namespace,
            Version = hello.Version,
            AppAddress = string.IsNullOrEmpty(hello.AppAddress) ? null : hello.AppAddress,
            OutboundPort = Port("outbound"),
            InboundPort = Port("inbound"),
            GatewayPort = hello.Gateway ? Port("gateway") : 0,
            GatewayTls = hello.GatewayTls,
        };
    }

    /// <summary>The TCP edges of a report that pass <see cref="TcpStatsValidator"/>; the others are refused with an event naming the first problem.</summary>
    private List<TcpEdgeStats> ValidTcpEdges(ProxyConnection connection, IReadOnlyList<TcpEdgeStats> reported)
    {
        if (reported.Count == 0) return [];
        string? problem;
        List<TcpEdgeStats> valid = [];
        if (reported.Count > TcpStatsValidator.MaxEdgesPerReport)
            problem = $"tcp_edges has {reported.Count} entries (at most {TcpStatsValidator.MaxEdgesPerReport})";
        else
        {
            var problems = reported.Select(edge => (Edge: edge, Problem: TcpStatsValidator.Problem(edge, connection.Identity.Service, connection.Identity.Namespace))).ToList();
            valid = problems.Where(p => p.Problem is null).Select(p => p.Edge).ToList();
            problem = problems.Select(p => p.Problem).FirstOrDefault(p => p is not null);
        }
        if (problem is not null)
            fleet.Event("StatsRejected", "Warning", connection.ProxyId, connection.Identity.Service, connection.Identity.Namespace,
                $"dropped {reported.Count - valid.Count} TCP stats edge(s): {problem}");
        return valid;
    }
}
