using Meshwork.Model.Resources;

namespace Meshwork.Proxy.Resilience;

/// <summary>
/// What the mesh middleware decided for one request and the forwarding handler must honour:
/// timeouts and retries. Travels HttpContext.Features -> HttpRequestMessage.Options (a transform).
/// </summary>
public sealed class RequestPlan
{
    public static readonly HttpRequestOptionsKey<RequestPlan> OptionKey = new("meshwork.plan");

    public required ClusterCounters Counters { get; init; }
    public RetryPolicy? Retries { get; init; }

    /// <summary>False when the request has a body the handler cannot replay (not buffered: too large). A gRPC body may be replayed when its copy is complete.</summary>
    public bool Replayable { get; init; }

    /// <summary>The whole request body when it was buffered for retries (<see cref="RequestBodyBuffer"/>); each attempt resends it.</summary>
    public ReadOnlyMemory<byte>? BufferedBody { get; init; }

    /// <summary>A gRPC call: its body is streamed (a copy kept for retries), gRPC statuses are retry conditions, and a timeout answers DEADLINE_EXCEEDED.</summary>
    public bool Grpc { get; init; }

    /// <summary>The route's timeout, or for a gRPC call its grpc-timeout when shorter.</summary>
    public TimeSpan? RequestTimeout { get; init; }
    public TimeSpan? PerTryTimeout { get; init; }

    /// <summary>UrlRewrite hostname: the Host header the upstream sees.</summary>
    public string? HostRewrite { get; init; }

    /// <summary>When the request entered the proxy (Stopwatch ticks): the request timeout counts from here.</summary>
    public long StartedAt { get; init; }

    /// <summary>Whether the forwarding handler has anything to enforce: a retry it may make or a timeout.</summary>
    public bool NeedsHandler => (Replayable && Retries is not null) || RequestTimeout is not null || PerTryTimeout is not null;
}
