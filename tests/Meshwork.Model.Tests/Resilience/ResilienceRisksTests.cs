using Meshwork.Model.Resilience;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Resilience;

public sealed class ResilienceRisksTests
{
    private static ResiliencePolicy Policy(RetryPolicy? retries = null, OutlierDetection? outliers = null) => new()
    {
        Metadata = new ResourceMetadata { Name = "shop" },
        Service = "shop",
        Retries = retries,
        OutlierDetection = outliers,
    };

    private static HttpRoute Route(FaultInjection? fault = null, TimeSpan? request = null, string service = "shop") => new()
    {
        Metadata = new ResourceMetadata { Name = service },
        ParentRefs = [new ParentRef { Name = service }],
        Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = service }], Fault = fault, Timeouts = request is null ? null : new RouteTimeouts { Request = request } }],
    };

    private static readonly RetryPolicy SafeRetries = new() { PerTryTimeout = TimeSpan.FromMilliseconds(500) };

    [Fact]
    public void Find_DefaultsWithAPerTryTimeout_FindsNothing()
    {
        Assert.Empty(ResilienceRisks.Find(Policy(SafeRetries, new OutlierDetection()), [Route()]));
    }

    [Fact]
    public void Find_RetriesWithoutAPerTryTimeout_WarnsOnThePerTryTimeout()
    {
        var risk = Assert.Single(ResilienceRisks.Find(Policy(new RetryPolicy()), []));
        Assert.Equal("retries.perTryTimeout", risk.Path);
        Assert.Contains("retries without a per-try timeout", risk.Message);
    }

    [Fact]
    public void Find_FaultInjectionOnARouteToTheRetriedService_WarnsOnRetries()
    {
        var fault = new FaultInjection { Abort = new FaultAbort { HttpStatus = 503, Percent = 10 } };

        var risk = Assert.Single(ResilienceRisks.Find(Policy(SafeRetries), [Route(fault)]));

        Assert.Equal("retries", risk.Path);
        Assert.Contains("route default/shop rule 1 aborts 10 % of requests with 503", risk.Message);
    }

    [Fact]
    public void Find_FaultInjectionOnARouteToAnotherService_IsNoRisk()
    {
        var fault = new FaultInjection { Abort = new FaultAbort { HttpStatus = 503 } };
        Assert.Empty(ResilienceRisks.Find(Policy(SafeRetries), [Route(fault, service: "cart")]));
    }

    [Fact]
    public void Find_AttemptsOutlastingTheRouteTimeout_WarnsOnThePerTryTimeout()
    {
        var risk = Assert.Single(ResilienceRisks.Find(Policy(SafeRetries with { Attempts = 3 }), [Route(request: TimeSpan.FromSeconds(1))]));
        Assert.Equal("retries.perTryTimeout", risk.Path);
        Assert.Contains("4 attempts of 500ms exceed the 1s request timeout", risk.Message);
    }

    [Fact]
    public void Find_ManyAttemptsAndAWideBudget_WarnOnEach()
    {
        var retries = SafeRetries with { Attempts = 8, Budget = new RetryBudget { BudgetPercent = 80 } };
        Assert.Equal(["retries.attempts", "retries.budget.budgetPercent"], ResilienceRisks.Find(Policy(retries), []).Select(r => r.Path));
    }

    [Fact]
    public void Find_EjectingEveryEndpoint_Warns()
    {
        var risk = Assert.Single(ResilienceRisks.Find(Policy(SafeRetries, new OutlierDetection { MaxEjectionPercent = 100 }), []));
        Assert.Equal("outlierDetection.maxEjectionPercent", risk.Path);
    }
}
