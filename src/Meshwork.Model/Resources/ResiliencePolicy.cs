namespace Meshwork.Model.Resources;

/// <summary>
/// Client-side traffic policy for calls to one destination service (Istio DestinationRule /
/// Envoy cluster semantics). Defaults are Envoy's and Istio's, so users' expectations carry over.
/// </summary>
public sealed record ResiliencePolicy : Resource
{
    public override ResourceKind Kind => ResourceKind.ResiliencePolicy;

    /// <summary>The destination service this policy applies to.</summary>
    public required string Service { get; init; }

    public RetryPolicy? Retries { get; init; }
    public ConnectionPoolSettings? ConnectionPool { get; init; }
    public OutlierDetection? OutlierDetection { get; init; }
    public ActiveHealthCheck? HealthCheck { get; init; }
    public LoadBalancerSettings LoadBalancer { get; init; } = new();
    public LocalRateLimit? RateLimit { get; init; }
}

public sealed record RetryPolicy
{
    /// <summary>Retries after the first attempt (Istio default 2).</summary>
    public int Attempts { get; init; } = 2;

    public TimeSpan? PerTryTimeout { get; init; }

    /// <summary>
    /// Envoy retry_on conditions: 5xx, gateway-error, reset, connect-failure, retriable-status-codes,
    /// and for gRPC calls the status in a trailers-only response: cancelled, deadline-exceeded,
    /// internal, resource-exhausted, unavailable.
    /// </summary>
    public IReadOnlyList<string> RetryOn { get; init; } = ["connect-failure", "reset", "retriable-status-codes"];

    public IReadOnlyList<int> RetriableStatusCodes { get; init; } = [503];
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(25);
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMilliseconds(250);
    public RetryBudget Budget { get; init; } = new();

    /// <summary>Envoy's gRPC retry_on conditions (x-envoy-retry-grpc-on), each a grpc-status.</summary>
    public static readonly IReadOnlyList<string> GrpcConditions =
        ["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"];

    // After GrpcConditions: static fields are initialised in order.
    public static readonly IReadOnlyList<string> KnownConditions =
        ["5xx", "gateway-error", "reset", "connect-failure", "retriable-status-codes", .. GrpcConditions];
}

/// <summary>Envoy retry budget: retries may add at most this share of active requests, so they cannot amplify an outage.</summary>
public sealed record RetryBudget
{
    public double BudgetPercent { get; init; } = 20;
    public int MinRetryConcurrency { get; init; } = 3;
}

public sealed record ConnectionPoolSettings
{
    public int MaxConnections { get; init; } = 1024;
    public int MaxPendingRequests { get; init; } = 1024;
    public int MaxRequests { get; init; } = 1024;

    /// <summary>0 means unlimited.</summary>
    public int MaxRequestsPerConnection { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a pooled HTTP connection may sit unused before it is closed (Istio connectionPool.http.idleTimeout).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a relayed TCP connection (TcpRoute) may carry no bytes in either direction before both sides are
    /// closed (Istio connectionPool.tcp.idleTimeout, Envoy tcp_proxy idle_timeout; both default to 1h).
    /// </summary>
    public TimeSpan TcpIdleTimeout { get; init; } = DefaultTcpIdleTimeout;

    public static readonly TimeSpan DefaultTcpIdleTimeout = TimeSpan.FromHours(1);
}

/// <summary>Passive health: eject endpoints that keep failing (Envoy defaults).</summary>
public sealed record OutlierDetection
{
    public int Consecutive5xxErrors { get; init; } = 5;
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan BaseEjectionTime { get; init; } = TimeSpan.FromSeconds(30);
    public double MaxEjectionPercent { get; init; } = 10;
}

public sealed record ActiveHealthCheck
{
    public string Path { get; init; } = "/health";
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);
    public int UnhealthyThreshold { get; init; } = 3;
    public int HealthyThreshold { get; init; } = 1;
}

public sealed record LoadBalancerSettings
{
    public LoadBalancingPolicy Policy { get; init; } = LoadBalancingPolicy.LeastRequest;

    /// <summary>Header hashed for ConsistentHash.</summary>
    public string? HashHeader { get; init; }
}

public enum LoadBalancingPolicy
{
    RoundRobin,
    LeastRequest,
    Random,
    ConsistentHash,
}

/// <summary>Envoy local rate limit token bucket; requests beyond it get 429.</summary>
public sealed record LocalRateLimit
{
    public required int MaxTokens { get; init; }
    public required int TokensPerFill { get; init; }
    public TimeSpan FillInterval { get; init; } = TimeSpan.FromSeconds(1);
}
