using Meshwork.Model.Policy;
using Meshwork.Model.Resources;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// Why a TCP connection got the decision it did, in words an operator can act on. A connection has no method, path
/// or header, so the evaluator reads a rule's <c>to</c> and <c>when</c> the way that denies more: a DENY rule naming
/// them refuses every connection from its sources, an ALLOW rule naming them admits none. Both surprise people who
/// wrote the rule for HTTP, so the explanation names the rules that decided that way. Every fact here comes from the
/// evaluator itself (run on single rules), not from a second reading of the policy semantics.
/// </summary>
public static class TcpAccessExplanation
{
    public static AccessDecision Explain(AccessDecision decision, IReadOnlyList<AccessPolicy> policies, AccessRequest connection)
    {
        if (!decision.Allowed && policies.FirstOrDefault(p => p.Action == AccessAction.Deny && p.Metadata.Name == decision.DecidedBy) is { } deny)
        {
            // The DENY matched; say so when only rules naming HTTP fields matched, checked on their sources alone.
            var plainRuleMatches = deny.Rules.Any(r => !NamesHttpFields(r) && Decides(deny, r, connection));
            return plainRuleMatches ? decision : decision with
            {
                Reason = $"{decision.Reason} on its sources alone: a TCP connection has no method, path or header, so a DENY rule naming them refuses every connection from its sources",
            };
        }
        if (decision.DecidedBy == AccessDecision.NoAllowMatched)
        {
            // ALLOW policies whose sources admit the caller yet which name HTTP fields: on a connection they match nothing.
            var httpOnly = policies
                .Where(p => p.Action == AccessAction.Allow && AccessPolicyEvaluator.Selects(p, connection))
                .Where(p => p.Rules.Any(r => NamesHttpFields(r) && Decides(p, r with { To = [], When = [] }, connection)))
                .Select(p => $"'{p.Metadata.Name}'")
                .ToList();
            if (httpOnly.Count > 0)
                return decision with
                {
                    Reason = $"{decision.Reason}: {string.Join(", ", httpOnly)} admit{(httpOnly.Count == 1 ? "s" : "")} this caller only for " +
                        "the methods, paths or headers named, which a TCP connection does not have, so an ALLOW rule naming them admits no connection",
                };
        }
        return decision;
    }

    private static bool NamesHttpFields(AccessRule rule) => rule.To.Count > 0 || rule.When.Count > 0;

    /// <summary>Whether <paramref name="rule"/> alone, as its policy's action, decides the connection.</summary>
    private static bool Decides(AccessPolicy policy, AccessRule rule, AccessRequest connection) =>
        AccessPolicyEvaluator.Evaluate([policy with { Rules = [rule] }], AccessMode.Permissive, connection).DecidedBy == policy.Metadata.Name;
}
