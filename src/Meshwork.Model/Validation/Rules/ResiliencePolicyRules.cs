using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.Model.Validation.Rules;

/// <summary>Istio DestinationRule / Envoy cluster settings for calls to one service.</summary>
internal static class ResiliencePolicyRules
{
    public const int MaxRetryAttempts = 10;
    public const int MaxRetriableStatusCodes = 64;

    /// <summary>Envoy's local rate limiter refuses fill intervals below 50 ms.</summary>
    public static readonly TimeSpan MinFillInterval = TimeSpan.FromMilliseconds(50);

    public static void Check(Checks checks, ResiliencePolicy policy)
    {
        var ns = policy.Metadata?.Namespace ?? ResourceMetadata.DefaultNamespace;
        checks.KnownService("service", policy.Service, ns);
        OnePerService.Check(checks, policy);
        if (policy.Retries is { } retries)
            CheckRetries(checks, retries);
        if (policy.ConnectionPool is { } pool)
        {
            checks.AtLeast("connectionPool.maxConnections", pool.MaxConnections, 1);
            checks.AtLeast("connectionPool.maxPendingRequests", pool.MaxPendingRequests, 1);
            checks.AtLeast("connectionPool.maxRequests", pool.MaxRequests, 1);
            checks.AtLeast("connectionPool.maxRequestsPerConnection", pool.MaxRequestsPerConnection, 0);
            checks.PositiveDuration("connectionPool.connectTimeout", pool.ConnectTimeout, TimeSpan.FromMinutes(5));
            checks.PositiveDuration("connectionPool.idleTimeout", pool.IdleTimeout);
            checks.PositiveDuration("connectionPool.tcpIdleTimeout", pool.TcpIdleTimeout);
        }
        if (policy.OutlierDetection is { } outlier)
        {
            checks.AtLeast("outlierDetection.consecutive5xxErrors", outlier.Consecutive5xxErrors, 1);
            checks.PositiveDuration("outlierDetection.interval", outlier.Interval);
            checks.PositiveDuration("outlierDetection.baseEjectionTime", outlier.BaseEjectionTime);
            checks.Percent("outlierDetection.maxEjectionPercent", outlier.MaxEjectionPercent);
        }
        if (policy.HealthCheck is { } health)
        {
            checks.AbsolutePath("healthCheck.path", health.Path);
            checks.PositiveDuration("healthCheck.interval", health.Interval);
            checks.PositiveDuration("healthCheck.timeout", health.Timeout);
            if (health.Timeout > health.Interval && health.Interval > TimeSpan.Zero)
                checks.Error("healthCheck.timeout", $"must not exceed healthCheck.interval ({Durations.Format(health.Interval)}), was {Durations.Format(health.Timeout)}");
            checks.AtLeast("healthCheck.unhealthyThreshold", health.UnhealthyThreshold, 1);
            checks.AtLeast("healthCheck.healthyThreshold", health.HealthyThreshold, 1);
        }
        if (checks.Required("loadBalancer", policy.LoadBalancer) && checks.Defined("loadBalancer.policy", policy.LoadBalancer.Policy))
        {
            var lb = policy.LoadBalancer;
            if (lb.Policy == LoadBalancingPolicy.ConsistentHash)
                checks.HeaderName("loadBalancer.hashHeader", lb.HashHeader);
            else if (lb.HashHeader is not null)
                checks.Warning("loadBalancer.hashHeader", "is ignored unless policy is consistentHash");
        }
        if (policy.RateLimit is { } rateLimit)
        {
            if (rateLimit.MaxTokens <= 0)
                checks.Error("rateLimit.maxTokens", $"must be greater than 0, was {rateLimit.MaxTokens}");
            if (rateLimit.TokensPerFill <= 0)
                checks.Error("rateLimit.tokensPerFill", $"must be greater than 0, was {rateLimit.TokensPerFill}");
            else if (rateLimit.MaxTokens > 0 && rateLimit.TokensPerFill > rateLimit.MaxTokens)
                checks.Error("rateLimit.tokensPerFill", $"must not exceed maxTokens ({rateLimit.MaxTokens}), was {rateLimit.TokensPerFill}");
            checks.PositiveDuration("rateLimit.fillInterval", rateLimit.FillInterval, min: MinFillInterval);
        }
    }

    private static void CheckRetries(Checks checks, RetryPolicy retries)
    {
        checks.Range("retries.attempts", retries.Attempts, 0, MaxRetryAttempts);
        checks.OptionalPositiveDuration("retries.perTryTimeout", retries.PerTryTimeout);
        checks.Each("retries.retryOn", retries.RetryOn, (path, condition) =>
        {
            if (!RetryPolicy.KnownConditions.Contains(condition, StringComparer.Ordinal))
                checks.Error(path, $"'{condition}' is not a retry condition; use one of {string.Join(", ", RetryPolicy.KnownConditions)}");
        });
        checks.NoDuplicates("retries.retryOn", retries.RetryOn, c => c, "", "retry condition");
        if (retries.RetryOn is { Count: 0 } && retries.Attempts > 0)
            checks.Warning("retries.retryOn", "is empty, so nothing is ever retried; list conditions such as connect-failure or 5xx");
        var codes = checks.MaxItems("retries.retriableStatusCodes", retries.RetriableStatusCodes, MaxRetriableStatusCodes) ? retries.RetriableStatusCodes ?? [] : [];
        for (var i = 0; i < codes.Count; i++)
        {
            if (codes[i] is < 400 or > 599)
                checks.Error($"retries.retriableStatusCodes[{i}]", $"must be an error status between 400 and 599, was {codes[i]}");
        }
        if (retries.RetriableStatusCodes is null or { Count: 0 } && (retries.RetryOn ?? []).Contains("retriable-status-codes"))
            checks.Error("retries.retriableStatusCodes", "list at least one status code when retryOn includes retriable-status-codes");
        checks.PositiveDuration("retries.backoffBase", retries.BackoffBase, TimeSpan.FromMinutes(1));
        checks.PositiveDuration("retries.backoffMax", retries.BackoffMax, TimeSpan.FromMinutes(5));
        if (retries.BackoffMax < retries.BackoffBase && retries.BackoffMax > TimeSpan.Zero)
            checks.Error("retries.backoffMax", $"must not be shorter than backoffBase ({Durations.Format(retries.BackoffBase)}), was {Durations.Format(retries.BackoffMax)}");
        if (checks.Required("retries.budget", retries.Budget))
        {
            checks.Percent("retries.budget.budgetPercent", retries.Budget.BudgetPercent);
            checks.AtLeast("retries.budget.minRetryConcurrency", retries.Budget.MinRetryConcurrency, 0);
        }
    }
}
