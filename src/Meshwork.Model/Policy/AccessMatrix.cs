using Meshwork.Model.Resources;

namespace Meshwork.Model.Policy;

/// <summary>A service as the matrix names it.</summary>
public readonly record struct ServiceName(string Namespace, string Service)
{
    public override string ToString() => $"{Namespace}/{Service}";
}

/// <summary>What one caller may do to one callee.</summary>
public enum AccessVerdict
{
    /// <summary>Every probed operation allowed by an ALLOW policy.</summary>
    Allowed,

    /// <summary>Every probed operation denied by a policy (a DENY, or ALLOW policies none of which matched).</summary>
    Denied,

    /// <summary>Some operations allowed and some denied (methods, paths).</summary>
    Partial,

    /// <summary>No ALLOW policy selects the callee; the mesh is permissive.</summary>
    DefaultAllowed,

    /// <summary>No ALLOW policy selects the callee; the mesh denies by default.</summary>
    DefaultDenied,
}

/// <summary>
/// One cell: the verdict over the HTTP operations probed (with their decisions), whether header conditions were left
/// out, and the decision for a TCP connection (a TcpRoute's relay, judged on its source alone), which HTTP verdicts
/// cannot stand for: an ALLOW that names methods admits GET and no connection.
/// </summary>
public sealed record AccessCell(ServiceName From, ServiceName To, AccessVerdict Verdict, IReadOnlyList<(string Operation, AccessDecision Decision)> Probes,
    bool HeaderConditionsIgnored, AccessDecision Connection)
{
    /// <summary>The operation name a TCP connection is explained with.</summary>
    public const string TcpConnection = "TCP connection";

    public bool AnyAllowed => Verdict is AccessVerdict.Allowed or AccessVerdict.Partial or AccessVerdict.DefaultAllowed;

    /// <summary>The TCP connection's decision as a verdict: allowed or denied, by a policy or by the mesh default.</summary>
    public AccessVerdict ConnectionVerdict => Connection.DecidedBy == AccessDecision.MeshDefault
        ? Connection.Allowed ? AccessVerdict.DefaultAllowed : AccessVerdict.DefaultDenied
        : Connection.Allowed ? AccessVerdict.Allowed : AccessVerdict.Denied;

    /// <summary>For example "GET / allowed by 'orders-from-web'; DELETE / denied by 'no-deletes'".</summary>
    public string Explain() => string.Join("; ", Probes.Select(p => Explain(p.Operation, p.Decision)))
        + (HeaderConditionsIgnored ? " (header conditions not evaluated)" : "");

    /// <summary>For example "TCP connection denied by no ALLOW matching".</summary>
    public string ExplainConnection() => Explain(TcpConnection, Connection);

    private static string Explain(string operation, AccessDecision decision) =>
        $"{operation} {(decision.Allowed ? "allowed" : "denied")} by {(decision.DecidedBy == AccessDecision.MeshDefault ? "the mesh default" : decision.DecidedBy == AccessDecision.NoAllowMatched ? "no ALLOW matching" : $"'{decision.DecidedBy}'")}";
}

/// <summary>
/// Who may call whom: every caller x callee pair judged by the proxies' own evaluator
/// (<see cref="AccessPolicyEvaluator"/>) for a set of probe operations: GET, POST, PUT and DELETE on "/",
/// and each method and path the policies selecting the callee name (a wildcard path probed with a
/// concrete segment). Header conditions cannot be probed without a request: cells that depend on
/// them say so. A TCP connection from the caller is judged too, apart (<see cref="AccessCell.Connection"/>):
/// the evaluator reads only its source, so an ALLOW rule naming operations admits no connection and a
/// DENY rule naming them refuses every connection from its sources (Istio's rule on TCP ports).
/// </summary>
public static class AccessMatrix
{
    private static readonly string[] BaseMethods = ["GET", "POST", "PUT", "DELETE"];

    public static IReadOnlyList<AccessCell> Build(IReadOnlyList<ServiceName> callers, IReadOnlyList<ServiceName> callees,
        IReadOnlyList<AccessPolicy> policies, AccessMode defaultMode, string trustDomain)
    {
        var cells = new List<AccessCell>();
        foreach (var to in callees)
        {
            var selecting = policies.Where(p => p.Metadata.Namespace == to.Namespace && (p.Service is null || p.Service == to.Service)).ToList();
            var probes = ProbesFor(selecting);
            var headerConditions = selecting.SelectMany(p => p.Rules).Any(r => r.When.Count > 0);
            foreach (var from in callers)
            {
                var caller = new AccessRequest
                {
                    DestinationService = to.Service,
                    DestinationNamespace = to.Namespace,
                    SourceService = from.Service,
                    SourceNamespace = from.Namespace,
                    SourcePrincipal = $"spiffe://{trustDomain}/ns/{from.Namespace}/sa/{from.Service}",
                };
                var decisions = probes.Select(probe => (Operation: $"{probe.Method} {probe.Path}",
                    Decision: AccessPolicyEvaluator.Evaluate(selecting, defaultMode, caller with { Method = probe.Method, Path = probe.Path }))).ToList();
                var connection = AccessPolicyEvaluator.Evaluate(selecting, defaultMode, caller with { Tcp = true });
                cells.Add(new AccessCell(from, to, VerdictOf(decisions.Select(d => d.Decision).ToList()), decisions, headerConditions, connection));
            }
        }
        return cells;
    }

    private static AccessVerdict VerdictOf(IReadOnlyList<AccessDecision> decisions)
    {
        if (decisions.All(d => d.DecidedBy == AccessDecision.MeshDefault))
            return decisions[0].Allowed ? AccessVerdict.DefaultAllowed : AccessVerdict.DefaultDenied;
        var allowed = decisions.Count(d => d.Allowed);
        return allowed == decisions.Count ? AccessVerdict.Allowed : allowed == 0 ? AccessVerdict.Denied : AccessVerdict.Partial;
    }

    private static List<(string Method, string Path)> ProbesFor(IReadOnlyList<AccessPolicy> selecting)
    {
        var operations = selecting.SelectMany(p => p.Rules).SelectMany(r => r.To).ToList();
        var methods = BaseMethods.Concat(operations.SelectMany(o => o.Methods).Where(m => m != "*").Select(m => m.ToUpperInvariant())).Distinct().ToList();
        var paths = new[] { "/" }.Concat(operations.SelectMany(o => o.Paths.Concat(o.NotPaths)).Select(ConcretePath)).Distinct().ToList();
        // Every named method on "/", and GET plus the named methods on each named path: enough to find a difference.
        return methods.Select(m => (m, "/"))
            .Concat(paths.Skip(1).SelectMany(path => methods.Select(m => (m, path))))
            .Distinct()
            .ToList();
    }

    /// <summary>A path that a policy path matches: "/api/*" probes "/api/x", "*.json" probes "/x.json", "*" probes "/x".</summary>
    private static string ConcretePath(string pattern) =>
        pattern == "*" ? "/x"
        : pattern.EndsWith('*') ? pattern[..^1] + "x"
        : pattern.StartsWith('*') ? "/x" + pattern[1..]
        : pattern;
}
