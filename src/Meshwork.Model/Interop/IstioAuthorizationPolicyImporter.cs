using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>
/// Istio AuthorizationPolicy as an AccessPolicy. A condition Meshwork cannot check is never
/// simply dropped, because that would widen what a rule matches: in an ALLOW policy the source,
/// operation or rule holding it is left out (fewer requests allowed), in a DENY policy only the
/// condition is (more requests denied). Either way a warning names it.
/// </summary>
internal static class IstioAuthorizationPolicyImporter
{
    private static readonly string[] UnsupportedSource =
        ["notPrincipals", "requestPrincipals", "notRequestPrincipals", "notNamespaces", "ipBlocks", "notIpBlocks",
         "remoteIpBlocks", "notRemoteIpBlocks", "notServiceAccounts", "trustDomains", "notTrustDomains"];

    private static readonly string[] UnsupportedOperation = ["hosts", "notHosts", "ports", "notPorts", "notMethods"];

    public static void Translate(DocumentReader document, ImportSession session)
    {
        var metadata = document.Metadata();
        if (metadata is null)
            return;
        var spec = document.Root.Field("spec");
        var action = spec?.String("action") ?? "ALLOW";
        switch (action)
        {
            case "AUDIT":
                document.Note(spec!.FieldPath("action"), "skipped: AUDIT policies only mark requests for audit logging and decide nothing; Meshwork audits configuration, not requests");
                spec.Ignore("rules", "selector", "targetRef", "targetRefs", "provider");
                return;
            case "CUSTOM":
                document.Error(spec!.FieldPath("action"), "CUSTOM (an external authorizer) has no equivalent; not translated, since requests would no longer be checked by the provider");
                spec.Ignore("rules", "provider");
                return;
            case not ("ALLOW" or "DENY"):
                document.Error(spec!.FieldPath("action"), $"'{action}' is not an action; use ALLOW, DENY, AUDIT or CUSTOM");
                return;
        }
        var allow = action == "ALLOW";
        if (metadata.Namespace == "istio-system")
            document.Warning(document.Root.FieldPath("metadata.namespace"), "a policy in Istio's root namespace applies to the whole mesh; a Meshwork policy applies to its own namespace only");
        var rules = new List<AccessRule>();
        foreach (var rule in spec?.Items("rules") ?? [])
        {
            if (Rule(rule, allow, document) is { } translated)
                rules.Add(translated);
        }
        session.Add(new AccessPolicy
        {
            Metadata = metadata,
            Service = spec is null ? null : Target(spec, document, allow),
            Action = allow ? AccessAction.Allow : AccessAction.Deny,
            Rules = rules,
        }, document);
    }

    /// <summary>The selected service: selector.matchLabels app (or app.kubernetes.io/name), or a Service targetRef; none: every service of the namespace.</summary>
    private static string? Target(SpecNode spec, DocumentReader document, bool allow)
    {
        var targets = spec.Field("targetRef") is { } single ? [single] : spec.Items("targetRefs");
        if (targets.Count > 1)
            document.Error(spec.FieldPath("targetRefs"), "a Meshwork access policy protects one service; write one policy per target");
        if (targets.Count == 1)
        {
            var target = targets[0];
            target.Ignore("group", "namespace");
            if (target.String("kind") != "Service")
            {
                document.Error(target.FieldPath("kind"), $"'{target.String("kind")}' targets have no equivalent; Meshwork policies protect services");
                return null;
            }
            return target.String("name");
        }
        var selector = spec.Field("selector");
        if (selector is null)
            return null;
        var labels = selector.StringMap("matchLabels");
        var service = labels.GetValueOrDefault("app") ?? labels.GetValueOrDefault("app.kubernetes.io/name");
        if (service is null)
        {
            document.Error(selector.FieldPath("matchLabels"), "names no service: Meshwork policies protect a service, selected here by the label 'app' (or 'app.kubernetes.io/name')");
            return null;
        }
        foreach (var key in labels.Keys.Where(k => k is not ("app" or "app.kubernetes.io/name")))
        {
            document.Warning($"{selector.FieldPath("matchLabels")}[\"{key}\"]", allow
                ? "a policy protects every version of the service; this ALLOW policy now also restricts the instances this label left out"
                : "a policy protects every version of the service; this DENY policy now also denies on the instances this label left out");
        }
        return service;
    }

    private static AccessRule? Rule(SpecNode rule, bool allow, DocumentReader document)
    {
        var fromItems = rule.Items("from");
        var from = fromItems.Select(f => Source(f.Field("source"), f.FieldPath("source"), allow, document)).OfType<AccessSource>().ToList();
        var toItems = rule.Items("to");
        var to = toItems.Select(t => Operation(t.Field("operation"), t.FieldPath("operation"), allow, document)).OfType<AccessOperation>().ToList();
        var when = new List<AccessCondition>();
        var droppedCondition = false;
        foreach (var condition in rule.Items("when"))
        {
            var key = condition.String("key") ?? "";
            var supported = key.StartsWith("request.headers[", StringComparison.Ordinal) && key.EndsWith(']');
            var notValues = condition.Has("notValues");
            condition.Ignore("notValues");
            if (supported && !notValues)
            {
                when.Add(new AccessCondition { Header = key["request.headers[".Length..^1], Values = condition.Strings("values") });
                continue;
            }
            condition.Ignore("values");
            droppedCondition = true;
            document.Warning(condition.Path, (notValues ? "notValues" : $"the key '{key}'") + (allow
                ? " has no equivalent (Meshwork checks request headers with values); the rule is left out, so it allows nothing"
                : " has no equivalent (Meshwork checks request headers with values); the condition is left out, so the rule denies more"));
        }
        // An ALLOW rule that lost every source or operation it had would match anything: leave it out.
        if (allow && (droppedCondition || (fromItems.Count > 0 && from.Count == 0) || (toItems.Count > 0 && to.Count == 0)))
        {
            if (!droppedCondition)
                document.Warning(rule.Path, "every source or operation of this ALLOW rule was left out; the rule is left out, so it allows nothing");
            return null;
        }
        return new AccessRule { From = from, To = to, When = when };
    }

    private static AccessSource? Source(SpecNode? source, string path, bool allow, DocumentReader document)
    {
        if (source is null)
        {
            document.Error(path, "is required");
            return null;
        }
        if (!LeaveOut(source, UnsupportedSource, allow, document, "source"))
        {
            source.Ignore("principals", "serviceAccounts", "namespaces");
            return null;
        }
        // Istio writes identities without the scheme; Meshwork's canonical form has it.
        var principals = source.Strings("principals").Select(p => p.StartsWith('*') || p.StartsWith("spiffe://", StringComparison.Ordinal) ? p : "spiffe://" + p).ToList();
        // Istio's serviceAccounts are "namespace/name" in any trust domain.
        principals.AddRange(source.Strings("serviceAccounts").Select(sa => sa.Split('/') is [var ns, var name] ? $"*/ns/{ns}/sa/{name}" : sa));
        return new AccessSource { Principals = principals, Namespaces = source.Strings("namespaces") };
    }

    private static AccessOperation? Operation(SpecNode? operation, string path, bool allow, DocumentReader document)
    {
        if (operation is null)
        {
            document.Error(path, "is required");
            return null;
        }
        if (!LeaveOut(operation, UnsupportedOperation, allow, document, "operation"))
        {
            operation.Ignore("methods", "paths", "notPaths");
            return null;
        }
        return new AccessOperation { Methods = operation.Strings("methods"), Paths = operation.Strings("paths"), NotPaths = operation.Strings("notPaths") };
    }

    /// <summary>Warns about each unsupported field present; false when the whole item must go (ALLOW).</summary>
    private static bool LeaveOut(SpecNode node, string[] fields, bool allow, DocumentReader document, string what)
    {
        var keep = true;
        foreach (var field in fields)
        {
            if (node.Unsupported(field, allow
                    ? $"has no equivalent in Meshwork; this {what} is left out of the ALLOW rule, so it allows nothing"
                    : "has no equivalent in Meshwork; the condition is left out, so the DENY rule denies more"))
                keep &= !allow;
        }
        return keep;
    }
}
