using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

public class ResiliencePolicyValidationTests
{
    private static ValidationResult Validate(ResiliencePolicy policy) => ResourceValidator.Validate(policy, Valid.Context);

    [Fact]
    public void Accepts_EnvoyAndIstioDefaults() => Clean(Validate(Valid.Resilience));

    [Fact]
    public void Accepts_OnlyTheService() => Clean(Validate(new ResiliencePolicy { Metadata = new() { Name = "r" }, Service = "ratings" }));

    [Fact]
    public void Rejects_UnknownService() =>
        Single(Validate(Valid.Resilience with { Service = "details" }), "service", "unknown service 'details' in namespace 'default'");

    [Fact]
    public void Rejects_MissingService() => Single(Validate(Valid.Resilience with { Service = null! }), "service", "is required");

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void Rejects_RetryAttemptsOutOfRange(int attempts) =>
        Single(Validate(Valid.Resilience with { Retries = new() { Attempts = attempts } }), "retries.attempts", $"must be between 0 and 10, was {attempts}");

    [Fact]
    public void Accepts_EveryKnownRetryCondition() =>
        Clean(Validate(Valid.Resilience with { Retries = new() { RetryOn = RetryPolicy.KnownConditions } }));

    [Fact]
    public void Rejects_UnknownRetryCondition() =>
        Single(Validate(Valid.Resilience with { Retries = new() { RetryOn = ["5xx", "timeout"] } }), "retries.retryOn[1]",
            "'timeout' is not a retry condition; use one of 5xx, gateway-error, reset, connect-failure, retriable-status-codes, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable");

    [Fact]
    public void Accepts_GrpcRetryConditions() =>
        Clean(Validate(Valid.Resilience with { Retries = new() { RetryOn = ["unavailable", "cancelled", "resource-exhausted", "deadline-exceeded", "internal"] } }));

    [Fact]
    public void Rejects_MisspelledGrpcRetryCondition() =>
        Single(Validate(Valid.Resilience with { Retries = new() { RetryOn = ["unavailable", "UNAVAILABLE"] } }), "retries.retryOn[1]",
            "'UNAVAILABLE' is not a retry condition; use one of 5xx, gateway-error, reset, connect-failure, retriable-status-codes, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable");

    [Fact]
    public void Rejects_DuplicateRetryCondition() =>
        Single(Validate(Valid.Resilience with { Retries = new() { RetryOn = ["5xx", "5xx"] } }), "retries.retryOn[1]", "duplicate retry condition '5xx'; retries.retryOn[0] has it too");

    [Fact]
    public void Warns_EmptyRetryOn() =>
        Single(Validate(Valid.Resilience with { Retries = new() { RetryOn = [] } }), "retries.retryOn",
            "is empty, so nothing is ever retried; list conditions such as connect-failure or 5xx", IssueSeverity.Warning);

    [Fact]
    public void Rejects_RetriableStatusThatIsNotAnError() =>
        Single(Validate(Valid.Resilience with { Retries = new() { RetriableStatusCodes = [503, 200] } }), "retries.retriableStatusCodes[1]",
            "must be an error status between 400 and 599, was 200");

    [Fact]
    public void Rejects_RetriableStatusCodesConditionWithoutCodes() =>
        Single(Validate(Valid.Resilience with { Retries = new() { RetriableStatusCodes = [] } }), "retries.retriableStatusCodes",
            "list at least one status code when retryOn includes retriable-status-codes");

    [Fact]
    public void Rejects_ZeroPerTryTimeout() =>
        Single(Validate(Valid.Resilience with { Retries = new() { PerTryTimeout = TimeSpan.Zero } }), "retries.perTryTimeout", "must be longer than 0s, was 0s");

    [Fact]
    public void Rejects_BackoffMaxBelowBase() =>
        Single(Validate(Valid.Resilience with { Retries = new() { BackoffBase = TimeSpan.FromSeconds(1), BackoffMax = TimeSpan.FromMilliseconds(500) } }),
            "retries.backoffMax", "must not be shorter than backoffBase (1s), was 500ms");

    [Fact]
    public void Rejects_RetryBudgetAbove100Percent() =>
        Single(Validate(Valid.Resilience with { Retries = new() { Budget = new() { BudgetPercent = 150 } } }), "retries.budget.budgetPercent",
            "must be a percentage between 0 and 100, was 150");

    [Fact]
    public void Rejects_ZeroMaxConnections() =>
        Single(Validate(Valid.Resilience with { ConnectionPool = new() { MaxConnections = 0 } }), "connectionPool.maxConnections", "must be at least 1, was 0");

    [Fact]
    public void Rejects_NegativeMaxRequestsPerConnection() =>
        Single(Validate(Valid.Resilience with { ConnectionPool = new() { MaxRequestsPerConnection = -1 } }), "connectionPool.maxRequestsPerConnection", "must be at least 0, was -1");

    [Fact]
    public void Rejects_ConnectTimeoutAboveFiveMinutes() =>
        Single(Validate(Valid.Resilience with { ConnectionPool = new() { ConnectTimeout = TimeSpan.FromMinutes(10) } }), "connectionPool.connectTimeout", "must be at most 5m, was 10m");

    [Theory]
    [InlineData(-0.1)]
    [InlineData(100.1)]
    public void Rejects_MaxEjectionPercentOutOfRange(double percent) =>
        Single(Validate(Valid.Resilience with { OutlierDetection = new() { MaxEjectionPercent = percent } }), "outlierDetection.maxEjectionPercent",
            $"must be a percentage between 0 and 100, was {percent.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    [Fact]
    public void Rejects_ZeroConsecutive5xx() =>
        Single(Validate(Valid.Resilience with { OutlierDetection = new() { Consecutive5xxErrors = 0 } }), "outlierDetection.consecutive5xxErrors", "must be at least 1, was 0");

    [Fact]
    public void Rejects_NegativeEjectionTime() =>
        Single(Validate(Valid.Resilience with { OutlierDetection = new() { BaseEjectionTime = TimeSpan.FromSeconds(-30) } }), "outlierDetection.baseEjectionTime", "must be longer than 0s, was -30s");

    [Fact]
    public void Rejects_HealthCheckPathWithoutSlash() =>
        Single(Validate(Valid.Resilience with { HealthCheck = new() { Path = "health" } }), "healthCheck.path", "must start with '/', was 'health'");

    [Fact]
    public void Rejects_HealthCheckTimeoutLongerThanInterval() =>
        Single(Validate(Valid.Resilience with { HealthCheck = new() { Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(6) } }), "healthCheck.timeout",
            "must not exceed healthCheck.interval (5s), was 6s");

    [Fact]
    public void Rejects_ConsistentHashWithoutHeader() =>
        Single(Validate(Valid.Resilience with { LoadBalancer = new() { Policy = LoadBalancingPolicy.ConsistentHash } }), "loadBalancer.hashHeader", "is required");

    [Fact]
    public void Warns_HashHeaderWithoutConsistentHash() =>
        Single(Validate(Valid.Resilience with { LoadBalancer = new() { HashHeader = "x-user" } }), "loadBalancer.hashHeader",
            "is ignored unless policy is consistentHash", IssueSeverity.Warning);

    [Fact]
    public void Rejects_MissingLoadBalancer() =>
        Single(Validate(Valid.Resilience with { LoadBalancer = null! }), "loadBalancer", "is required");

    [Fact]
    public void Rejects_RateLimitTokensZero()
    {
        var result = Validate(Valid.Resilience with { RateLimit = new() { MaxTokens = 0, TokensPerFill = 0 } });
        Assert.Equal(
            [new ValidationIssue("rateLimit.maxTokens", "must be greater than 0, was 0"), new ValidationIssue("rateLimit.tokensPerFill", "must be greater than 0, was 0")],
            result.Issues);
    }

    [Fact]
    public void Rejects_TokensPerFillAboveMaxTokens() =>
        Single(Validate(Valid.Resilience with { RateLimit = new() { MaxTokens = 10, TokensPerFill = 20 } }), "rateLimit.tokensPerFill", "must not exceed maxTokens (10), was 20");

    [Fact]
    public void Rejects_FillIntervalBelowEnvoyMinimum() =>
        Single(Validate(Valid.Resilience with { RateLimit = new() { MaxTokens = 10, TokensPerFill = 1, FillInterval = TimeSpan.FromMilliseconds(10) } }), "rateLimit.fillInterval",
            "must be at least 50ms, was 10ms");
}

public class ResiliencePolicyValidationEdgeTests
{
    private static ValidationResult Validate(ResiliencePolicy policy) => ResourceValidator.Validate(policy, Valid.Context);

    [Fact]
    public void Rejects_ZeroBackoffBase() =>
        Single(Validate(Valid.Resilience with { Retries = new() { BackoffBase = TimeSpan.Zero } }), "retries.backoffBase", "must be longer than 0s, was 0s");

    [Fact]
    public void Rejects_NegativeMinRetryConcurrency() =>
        Single(Validate(Valid.Resilience with { Retries = new() { Budget = new() { MinRetryConcurrency = -1 } } }), "retries.budget.minRetryConcurrency", "must be at least 0, was -1");

    [Fact]
    public void Rejects_IdleTimeoutAboveADay() =>
        Single(Validate(Valid.Resilience with { ConnectionPool = new() { IdleTimeout = TimeSpan.FromHours(25) } }), "connectionPool.idleTimeout", "must be at most 24h, was 25h");

    [Fact]
    public void Rejects_TcpIdleTimeoutAboveADay() =>
        Single(Validate(Valid.Resilience with { ConnectionPool = new() { TcpIdleTimeout = TimeSpan.FromHours(25) } }), "connectionPool.tcpIdleTimeout", "must be at most 24h, was 25h");

    [Fact]
    public void Accepts_TcpIdleTimeout_DefaultingToEnvoysHour()
    {
        Assert.Equal(TimeSpan.FromHours(1), new ConnectionPoolSettings().TcpIdleTimeout);
        Clean(Validate(Valid.Resilience with { ConnectionPool = new() { TcpIdleTimeout = TimeSpan.FromMilliseconds(500) } }));
    }

    [Fact]
    public void Rejects_ZeroHealthyThreshold() =>
        Single(Validate(Valid.Resilience with { HealthCheck = new() { HealthyThreshold = 0 } }), "healthCheck.healthyThreshold", "must be at least 1, was 0");

    [Fact]
    public void Rejects_UndefinedLoadBalancingPolicy() =>
        Single(Validate(Valid.Resilience with { LoadBalancer = new() { Policy = (LoadBalancingPolicy)8 } }), "loadBalancer.policy",
            "'8' is not allowed here; use one of roundRobin, leastRequest, random, consistentHash");

    [Fact]
    public void Accepts_ConsistentHashWithHeader() =>
        Clean(Validate(Valid.Resilience with { LoadBalancer = new() { Policy = LoadBalancingPolicy.ConsistentHash, HashHeader = "x-user" } }));
}
