using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Resilience;

/// <summary>
/// Combinations a ResiliencePolicy allows but that rarely do what was meant, as warnings located on
/// the field to change (the validator's paths). Pure, so the portal's form and the API can share them.
/// </summary>
public static class ResilienceRisks
{
    /// <summary>More retries than this multiply the load on a struggling service more than they help.</summary>
    public const int ManyAttempts = 5;

    /// <param name="routes">The stored routes: those sending to the policy's service are checked against its retries.</param>
    public static IReadOnlyList<ValidationIssue> Find(ResiliencePolicy policy, IReadOnlyList<HttpRoute> routes)
    {
        var risks = new List<ValidationIssue>();
        if (policy.Retries is { } retries)
            RetryRisks(policy, retries, routes, risks);
        if (policy.OutlierDetection is { MaxEjectionPercent: >= 100 })
            risks.Add(Warn("outlierDetection.maxEjectionPercent",
                "100 % lets outlier detection eject every endpoint at once, leaving the service with none; Envoy's default is 10 %"));
        if (policy.LoadBalancer is { Policy: LoadBalancingPolicy.ConsistentHash, HashHeader: null or "" })
            risks.Add(Warn("loadBalancer.hashHeader", "consistent hashing without a header hashes nothing, so every request lands on the same endpoint"));
        return risks;
    }

    private static void RetryRisks(ResiliencePolicy policy, RetryPolicy retries, IReadOnlyList<HttpRoute> routes, List<ValidationIssue> risks)
    {
        if (retries.Attempts > 0 && retries.PerTryTimeout is null)
            risks.Add(Warn("retries.perTryTimeout",
                "retries without a per-try timeout: one hung attempt can use the whole request timeout, so the retries never run; set one well under the route's request timeout"));
        if (retries.Attempts > ManyAttempts)
            risks.Add(Warn("retries.attempts",
                $"{retries.Attempts} retries turn one failing request into {retries.Attempts + 1} calls: during an outage that multiplies the load on the service; the budget caps it at {retries.Budget.BudgetPercent:0.#} % of active requests"));
        if (retries.Budget.BudgetPercent > 50)
            risks.Add(Warn("retries.budget.budgetPercent",
                $"a budget of {retries.Budget.BudgetPercent:0.#} % lets retries add that share of load while the service fails; Envoy's default is 20 %"));
        foreach (var (route, ruleIndex, rule) in RulesSendingTo(policy, routes))
        {
            var where = $"route {route.Metadata.Namespace}/{route.Metadata.Name} rule {ruleIndex + 1}";
            if (rule.Fault is { } fault && retries.Attempts > 0)
            {
                var what = fault.Abort is { } abort ? $"aborts {abort.Percent:0.#} % of requests with {abort.HttpStatus}" : "delays requests";
                risks.Add(Warn("retries",
                    $"{where} {what} by fault injection while this policy retries: retried attempts are faulted again, so the test measures the retries rather than how callers cope with the fault (Istio does not combine the two either)"));
            }
            if (retries.PerTryTimeout is { } perTry && rule.Timeouts?.Request is { } request && perTry * (retries.Attempts + 1) > request)
                risks.Add(Warn("retries.perTryTimeout",
                    $"{retries.Attempts + 1} attempts of {Durations.Format(perTry)} exceed the {Durations.Format(request)} request timeout of {where}: the later retries are cut off"));
        }
    }

    private static IEnumerable<(HttpRoute Route, int Index, HttpRouteRule Rule)> RulesSendingTo(ResiliencePolicy policy, IReadOnlyList<HttpRoute> routes)
    {
        var ns = policy.Metadata.Namespace;
        foreach (var route in routes)
        {
            for (var i = 0; i < route.Rules.Count; i++)
            {
                var rule = route.Rules[i];
                if (rule.BackendRefs.Any(b => b.Service == policy.Service && (b.Namespace ?? route.Metadata.Namespace) == ns))
                    yield return (route, i, rule);
            }
        }
    }

    private static ValidationIssue Warn(string path, string message) => new(path, message, IssueSeverity.Warning);
}
