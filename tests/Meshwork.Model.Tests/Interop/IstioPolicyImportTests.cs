using Meshwork.Model.Interop;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Interop;

/// <summary>Istio DestinationRule and AuthorizationPolicy, field by field (Fixtures/istio-destinationrule.yaml, istio-authorizationpolicy.yaml).</summary>
public class IstioPolicyImportTests
{
    private static readonly ImportResult Rules = Fixtures.Import("istio-destinationrule.yaml");
    private static readonly ImportResult Access = Fixtures.Import("istio-authorizationpolicy.yaml");

    [Fact]
    public void DestinationRule_TrafficPolicy_BecomesAResiliencePolicyNamedAfterIt()
    {
        var policy = Rules.Single<ResiliencePolicy>("ratings-policy");
        Assert.Equal("ratings", policy.Service);
        Assert.Equal(new LoadBalancerSettings { Policy = LoadBalancingPolicy.ConsistentHash, HashHeader = "x-user" }, policy.LoadBalancer);
        Assert.Equal(new ConnectionPoolSettings
        {
            MaxConnections = 100, ConnectTimeout = TimeSpan.FromMilliseconds(30), MaxPendingRequests = 50, MaxRequests = 500,
            MaxRequestsPerConnection = 10, IdleTimeout = TimeSpan.FromSeconds(90), TcpIdleTimeout = TimeSpan.FromMinutes(30),
        }, policy.ConnectionPool);
        Assert.Equal(new OutlierDetection { Consecutive5xxErrors = 7, Interval = TimeSpan.FromMinutes(5), BaseEjectionTime = TimeSpan.FromMinutes(15), MaxEjectionPercent = 50 }, policy.OutlierDetection);
        Assert.Equal(new RetryBudget { BudgetPercent = 25, MinRetryConcurrency = 5 }, policy.Retries!.Budget);
    }

    [Fact]
    public void DestinationRule_Subsets_BecomeTheServicesVersions_WithANoteAboutThePort()
    {
        var service = Rules.Single<Service>("ratings");
        Assert.Equal(["v1", "v2"], service.Versions.Select(v => v.Name));
        Rules.At("[0].spec.host", InteropSeverity.Note);
        Rules.At("[0].spec.subsets[0].trafficPolicy");
    }

    [Theory]
    [InlineData("[0].spec.exportTo")]
    [InlineData("[0].spec.workloadSelector")]
    [InlineData("[0].spec.trafficPolicy.tls")]
    [InlineData("[0].spec.trafficPolicy.portLevelSettings")]
    [InlineData("[0].spec.trafficPolicy.proxyProtocol")]
    [InlineData("[0].spec.trafficPolicy.loadBalancer.localityLbSetting")]
    [InlineData("[0].spec.trafficPolicy.loadBalancer.warmupDurationSecs")]
    [InlineData("[0].spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize")]
    [InlineData("[0].spec.trafficPolicy.connectionPool.tcp.tcpKeepalive")]
    [InlineData("[0].spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration")]
    [InlineData("[0].spec.trafficPolicy.connectionPool.http.maxRetries")]
    [InlineData("[0].spec.trafficPolicy.connectionPool.http.h2UpgradePolicy")]
    [InlineData("[0].spec.trafficPolicy.connectionPool.http.useClientProtocol")]
    [InlineData("[0].spec.trafficPolicy.connectionPool.http.maxConcurrentStreams")]
    [InlineData("[0].spec.trafficPolicy.outlierDetection.consecutiveGatewayErrors")]
    [InlineData("[0].spec.trafficPolicy.outlierDetection.minHealthPercent")]
    [InlineData("[0].spec.trafficPolicy.outlierDetection.splitExternalLocalOriginErrors")]
    [InlineData("[0].spec.trafficPolicy.outlierDetection.consecutiveErrors")]
    [InlineData("[0].spec.trafficPolicy.retryBudget.budgetInterval")]
    public void DestinationRule_FieldsWithoutEquivalent_AreWarned(string path) => Rules.At(path);

    [Fact]
    public void DestinationRule_IstioDefaults_UnsetLimitsAreUnlimited_LeastConnIsLeastRequest_Zero5xxDisablesOutliers()
    {
        var details = Rules.Single<ResiliencePolicy>("details");
        Assert.Equal(LoadBalancingPolicy.LeastRequest, details.LoadBalancer.Policy);
        Assert.Equal((int.MaxValue, int.MaxValue, int.MaxValue, TimeSpan.FromSeconds(2)),
            (details.ConnectionPool!.MaxConnections, details.ConnectionPool.MaxPendingRequests, details.ConnectionPool.MaxRequests, details.ConnectionPool.ConnectTimeout));
        Assert.Null(details.OutlierDetection);
        Rules.At("[1].spec.trafficPolicy.outlierDetection.consecutive5xxErrors", InteropSeverity.Note);
    }

    [Fact]
    public void DestinationRule_ForAnExternalHost_IsAnError() =>
        Assert.Contains("api.example.com", Rules.At("[2].spec.host", InteropSeverity.Error).Message);

    [Fact]
    public void AuthorizationPolicy_Allow_SourcesOperationsAndHeaderConditions()
    {
        var policy = Access.Single<AccessPolicy>("ratings-allow");
        Assert.Equal((AccessAction.Allow, "ratings"), (policy.Action, policy.Service));
        var rule = Assert.Single(policy.Rules);
        Assert.Equal(["spiffe://cluster.local/ns/default/sa/reviews"], rule.From[0].Principals);
        Assert.Equal(["default"], rule.From[0].Namespaces);
        Assert.Equal(["*/ns/books/sa/reviews"], rule.From[1].Principals);
        Assert.Equal(["GET", "HEAD"], rule.To[0].Methods);
        Assert.Equal(["/ratings/*"], rule.To[0].Paths);
        Assert.Equal(["/ratings/admin"], rule.To[0].NotPaths);
        Assert.Equal("x-tenant", rule.When[0].Header);
        Assert.Equal(["books"], rule.When[0].Values);
    }

    /// <summary>Dropping a condition from an ALLOW rule would allow more: the source, operation or rule goes instead.</summary>
    [Fact]
    public void AuthorizationPolicy_Allow_UnsupportedConditionsNeverWidenWhatIsAllowed()
    {
        var rule = Access.Single<AccessPolicy>("ratings-allow").Rules.Single();
        Assert.Equal(2, rule.From.Count);
        Assert.Single(rule.To);
        Access.At("[0].spec.rules[0].from[2].source.notPrincipals");
        Access.At("[0].spec.rules[0].to[1].operation.ports");
        Access.At("[0].spec.rules[1]");
        Access.At("[0].spec.rules[2]");
        Assert.Contains("source.ip", Access.At("[0].spec.rules[3].when[0]").Message);
        Access.At("[0].spec.selector.matchLabels[\"version\"]");
    }

    /// <summary>Dropping a condition from a DENY rule denies more, which is the safe side.</summary>
    [Fact]
    public void AuthorizationPolicy_Deny_UnsupportedConditionsAreDropped_SoItDeniesMore()
    {
        var policy = Access.Single<AccessPolicy>("ratings-deny");
        Assert.Equal((AccessAction.Deny, "ratings"), (policy.Action, policy.Service));
        var rule = Assert.Single(policy.Rules);
        var anyone = rule.From.Single();
        Assert.True(anyone.Principals.Count == 0 && anyone.Namespaces.Count == 0 && anyone.Services.Count == 0);
        Assert.Equal(["/admin/*"], rule.To.Single().Paths);
        Assert.Empty(rule.When);
        foreach (var field in new[] { "notNamespaces", "requestPrincipals", "remoteIpBlocks", "notRemoteIpBlocks", "notIpBlocks", "notRequestPrincipals", "notServiceAccounts" })
            Access.At($"[1].spec.rules[0].from[0].source.{field}");
        foreach (var field in new[] { "notMethods", "notHosts", "notPorts" })
            Access.At($"[1].spec.rules[0].to[0].operation.{field}");
        Access.At("[1].spec.rules[0].when[0]");
    }

    [Fact]
    public void AuthorizationPolicy_AuditIsSkipped_CustomIsAnError_EmptySpecAllowsNothing()
    {
        Access.At("[2].spec.action", InteropSeverity.Note);
        Access.At("[3].spec.action", InteropSeverity.Error);
        Assert.DoesNotContain(Access.Resources, r => r.Metadata.Name is "audit" or "ext-authz");
        var nothing = Access.Single<AccessPolicy>("allow-nothing");
        Assert.Equal((AccessAction.Allow, (string?)null), (nothing.Action, nothing.Service));
        Assert.Empty(nothing.Rules);
    }
}
