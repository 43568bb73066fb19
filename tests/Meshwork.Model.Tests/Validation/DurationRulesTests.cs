using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

/// <summary>Every duration field rejects zero and negative values, each with its own path.</summary>
public class DurationRulesTests
{
    public static TheoryData<string, Func<TimeSpan, Resource>> Fields => new()
    {
        { "rules[0].timeouts.request", d => Valid.Route(Valid.Rule() with { Timeouts = new() { Request = d } }) },
        { "rules[0].timeouts.backendRequest", d => Valid.Route(Valid.Rule() with { Timeouts = new() { BackendRequest = d } }) },
        { "rules[0].fault.delay.fixedDelay", d => Valid.Route(Valid.Rule() with { Fault = new() { Delay = new() { FixedDelay = d } } }) },
        { "retries.perTryTimeout", d => Valid.Resilience with { Retries = new() { PerTryTimeout = d } } },
        { "retries.backoffBase", d => Valid.Resilience with { Retries = new() { BackoffBase = d, BackoffMax = TimeSpan.FromSeconds(1) } } },
        { "retries.backoffMax", d => Valid.Resilience with { Retries = new() { BackoffBase = TimeSpan.FromMilliseconds(1), BackoffMax = d } } },
        { "connectionPool.connectTimeout", d => Valid.Resilience with { ConnectionPool = new() { ConnectTimeout = d } } },
        { "connectionPool.idleTimeout", d => Valid.Resilience with { ConnectionPool = new() { IdleTimeout = d } } },
        { "connectionPool.tcpIdleTimeout", d => Valid.Resilience with { ConnectionPool = new() { TcpIdleTimeout = d } } },
        { "outlierDetection.interval", d => Valid.Resilience with { OutlierDetection = new() { Interval = d } } },
        { "outlierDetection.baseEjectionTime", d => Valid.Resilience with { OutlierDetection = new() { BaseEjectionTime = d } } },
        { "healthCheck.interval", d => Valid.Resilience with { HealthCheck = new() { Interval = d, Timeout = TimeSpan.FromTicks(1) } } },
        { "healthCheck.timeout", d => Valid.Resilience with { HealthCheck = new() { Timeout = d } } },
        { "rateLimit.fillInterval", d => Valid.Resilience with { RateLimit = new() { MaxTokens = 1, TokensPerFill = 1, FillInterval = d } } },
        { "steps[0].pause.duration", d => Valid.Rollout with { Steps = [new() { Pause = new() { Duration = d } }] } },
        { "analysis.interval", d => Valid.Rollout with { Analysis = new() { Interval = d } } },
        { "analysis.maxLatencyP99", d => Valid.Rollout with { Analysis = new() { MaxLatencyP99 = d } } },
        { "certificateTtl", d => Valid.Mesh with { CertificateTtl = d } },
        { "defaultRequestTimeout", d => Valid.Mesh with { DefaultRequestTimeout = d } },
    };

    [Theory]
    [MemberData(nameof(Fields))]
    public void Rejects_ZeroDuration(string path, Func<TimeSpan, Resource> make) =>
        Single(ResourceValidator.Validate(make(TimeSpan.Zero), Valid.Context), path, "must be longer than 0s, was 0s");

    [Theory]
    [MemberData(nameof(Fields))]
    public void Rejects_NegativeDuration(string path, Func<TimeSpan, Resource> make) =>
        Single(ResourceValidator.Validate(make(TimeSpan.FromSeconds(-2)), Valid.Context), path, "must be longer than 0s, was -2s");

    [Theory]
    [MemberData(nameof(Fields))]
    public void Rejects_DurationLongerThanAYear(string path, Func<TimeSpan, Resource> make)
    {
        var result = ResourceValidator.Validate(make(TimeSpan.FromDays(366)), Valid.Context);
        var issue = result.Issues.First(i => i.Path == path);
        Assert.StartsWith("must be at most ", issue.Message);
        Assert.EndsWith(", was 8784h", issue.Message);
    }
}
