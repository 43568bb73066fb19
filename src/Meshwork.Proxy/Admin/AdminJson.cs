using System.Text.Json;
using System.Text.Json.Serialization;
using Meshwork.Proxy.Config;

namespace Meshwork.Proxy.Admin;

// The admin documents as named types with source-generated serializers: the native (AOT) proxy
// cannot serialize anonymous objects by reflection. Property names are the camelCase JSON names.

public sealed record SnapshotInfo(
    long Version, string Hash, string? Source, DateTimeOffset? AppliedAt, string? ProxyId, string? SpiffeId, SnapshotApplyResult? LastResult);

/// <summary>
/// Transport: "epoll" or "sockets", the socket layer in use (Proxy:Transport, after its fallbacks).
/// ControlPlane: the replica the proxy streams from; null when it runs from a snapshot file.
/// Http1: the outbound listener's HTTP/1.1 engine (Proxy:Http1Engine) and what the lean one served.
/// </summary>
public sealed record StatsDocument(
    SnapshotVersion Snapshot, string Transport, ControlPlaneLink? ControlPlane, IEnumerable<TrafficTotals> Traffic, IEnumerable<TcpTotals> Tcp,
    IEnumerable<ClusterStats> Clusters, MirrorStats Mirror, TapStats Tap, Http1Stats Http1);

/// <summary>
/// Engine: "kestrel" or "lean". LeanRequests: requests the lean path forwarded itself; HandedOver: connections
/// it handed to Kestrel and YARP at a request outside its subset (each then stays with Kestrel);
/// IdleUpstreamConnections: the lean path's pooled keep-alive connections to upstreams, idle now.
/// </summary>
public sealed record Http1Stats(string Engine, long LeanRequests, long HandedOver, int IdleUpstreamConnections);

/// <summary>Address: the control plane address in use (or being dialled while not connected).</summary>
/// <summary>The control plane stream: where, whether admitted, and why the last attempt failed (null once connected).</summary>
public sealed record ControlPlaneLink(string Address, bool Connected, string? LastError);

public sealed record SnapshotVersion(long Version, string Hash);

public sealed record TrafficTotals(
    string Direction, string Source, string Destination, string Version, string Route, string StatusClass, string GrpcStatus, long Requests, long Failures, long Denied);

/// <summary>
/// Relayed TCP connections (TcpRoutes) per edge since the proxy started: Route is "" inbound, Source the caller's
/// service. Connections: opened (connected to the destination); Active: open now; bytes (received from the side that
/// opened the connection, sent back to it), open connections' included; Overflow: refused by the cluster's
/// maxConnections; IdleClosed: closed by the idle timeout.
/// </summary>
public sealed record TcpTotals(
    string Direction, string Source, string Destination, string Version, string Route,
    long Connections, long Active, long ReceivedBytes, long SentBytes, long Overflow, long IdleClosed);

/// <summary>
/// PeerIdentityRefused: TLS handshakes refused because the endpoint presented another SPIFFE id than
/// the cluster's service. MirrorActive / MirrorDropped: mirror copies to this cluster in flight now,
/// and dropped because Proxy:MirrorMaxInFlight were in flight.
/// </summary>
public sealed record ClusterStats(
    string Name, long Active, long Retries, long RetryBudgetExhausted, long Overflows, long Ejections, long PeerIdentityRefused,
    long MirrorActive, long MirrorDropped, IEnumerable<EndpointStats> Endpoints);

public sealed record EndpointStats(string Id, string Address, string Active, string Passive, int ConcurrentRequests);

/// <summary>Dropped: copies not sent because their cluster had Proxy:MirrorMaxInFlight in flight (see each cluster's mirrorDropped).</summary>
public sealed record MirrorStats(long Sent, long Failed, long Skipped, long Dropped);

/// <summary>
/// The live tap (totals since start): Active and its id and rate while one is on; Sampled: samples buffered for the
/// control plane; RateLimited: requests the token bucket passed over; Dropped: samples lost to a full buffer.
/// </summary>
public sealed record TapStats(bool Active, string? TapId, int MaxSamplesPerSecond, long Sampled, long RateLimited, long Dropped);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(SnapshotInfo))]
[JsonSerializable(typeof(StatsDocument))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
