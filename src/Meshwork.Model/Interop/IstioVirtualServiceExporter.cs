using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;
using Meshwork.Model.Validation.Rules;
using static Meshwork.Model.Interop.GatewayApiExporter;

namespace Meshwork.Model.Interop;

/// <summary>An HttpRoute as an Istio VirtualService that sends the same requests to the same places (TcpRoutes: <see cref="IstioTcpRouteExporter"/>).</summary>
internal static class IstioVirtualServiceExporter
{
    /// <param name="tcp">A TcpRoute Istio keeps in the same VirtualService (same name and service), written as its <c>tcp:</c> section.</param>
    public static JsonObject Export(HttpRoute route, IReadOnlyList<Resource> all, ExportWriter writer, TcpRoute? tcp = null)
    {
        var ns = route.Metadata.Namespace;
        var services = route.ParentRefs.Where(p => p.Kind == ParentKind.Service)
            .Select(p => p.Namespace is null || p.Namespace == ns ? p.Name : $"{p.Name}.{p.Namespace}.svc.cluster.local").ToList();
        var gateways = route.ParentRefs.Where(p => p.Kind == ParentKind.Gateway)
            .Select(p => p.Namespace is null || p.Namespace == ns ? p.Name : $"{p.Namespace}/{p.Name}").ToList();
        var spec = new JsonObject();
        var hosts = services.ToList();
        if (gateways.Count > 0)
        {
            hosts.AddRange(route.Hostnames.Count > 0 ? route.Hostnames : ["*"]);
            spec["gateways"] = Array((services.Count > 0 ? gateways.Prepend("mesh") : gateways).Select(g => JsonValue.Create(g)));
        }
        spec["hosts"] = Array(hosts.Distinct().Select(h => JsonValue.Create(h)));
        spec["http"] = Array(InIstioOrder(route.Rules, writer).Select(r => Route(r.Rule, r.Path, route, all, writer)));
        if (tcp is not null)
            spec["tcp"] = IstioTcpRouteExporter.Section(tcp);
        return ManifestExporter.Manifest("networking.istio.io/v1", "VirtualService", route.Metadata, spec);
    }

    /// <summary>
    /// Istio takes the first route that matches, Meshwork the first match in Gateway API
    /// precedence. Declaration order is kept when no two matches that could take the same request
    /// are ordered differently; otherwise each match becomes its own route, in precedence order.
    /// </summary>
    private static IEnumerable<(HttpRouteRule Rule, string Path)> InIstioOrder(IReadOnlyList<HttpRouteRule> rules, ExportWriter writer)
    {
        var order = RoutePrecedence.Order(rules.Select(r => (HttpRouteRule?)r).ToList());
        var inverted = order.Select((e, i) => (e, i)).Any(a => order.Skip(a.i + 1)
            .Any(b => a.e.RuleIndex > b.RuleIndex && IstioVirtualServiceImporter.MayOverlap(a.e.Match, b.Match)));
        if (!inverted)
            return rules.Select((r, i) => (r, $"rules[{i}]"));
        writer.Warning("rules", "written one match per Istio route, in Meshwork's precedence order (Istio tries routes in order, Meshwork by precedence)");
        return order.Select(e => (rules[e.RuleIndex] with { Matches = rules[e.RuleIndex].Matches.Count == 0 ? [] : [e.Match] }, $"rules[{e.RuleIndex}]"));
    }

    private static JsonObject Route(HttpRouteRule rule, string path, HttpRoute route, IReadOnlyList<Resource> all, ExportWriter writer)
    {
        var json = new JsonObject();
        if (rule.Name is not null)
            json["name"] = rule.Name;
        var prefixRewrite = rule.Filters.Any(f => f.UrlRewrite?.Path?.Type == PathModifierType.ReplacePrefixMatch || f.RequestRedirect?.Path?.Type == PathModifierType.ReplacePrefixMatch);
        if (rule.Matches.Count > 0)
            json["match"] = Array(rule.Matches.SelectMany((m, i) => Matches(m, prefixRewrite, writer, $"{path}.matches[{i}]")));
        if (rule.BackendRefs.Count > 0)
        {
            json["route"] = Array(rule.BackendRefs.Select(b => new JsonObject
            {
                ["destination"] = Destination(b, route.Metadata.Namespace),
                ["weight"] = b.Weight,
            }));
        }
        var requestHeaders = rule.Filters.FirstOrDefault(f => f.Type == HttpRouteFilterType.RequestHeaderModifier)?.RequestHeaderModifier;
        var responseHeaders = rule.Filters.FirstOrDefault(f => f.Type == HttpRouteFilterType.ResponseHeaderModifier)?.ResponseHeaderModifier;
        if (requestHeaders is not null || responseHeaders is not null)
        {
            var headers = new JsonObject();
            if (requestHeaders is not null)
                headers["request"] = HeaderOperations(requestHeaders);
            if (responseHeaders is not null)
                headers["response"] = HeaderOperations(responseHeaders);
            json["headers"] = headers;
        }
        if (rule.Filters.FirstOrDefault(f => f.Type == HttpRouteFilterType.UrlRewrite)?.UrlRewrite is { } rewrite)
            json["rewrite"] = Rewrite(rewrite, rule.Matches);
        if (rule.Filters.FirstOrDefault(f => f.Type == HttpRouteFilterType.RequestRedirect)?.RequestRedirect is { } redirect)
            json["redirect"] = Redirect(redirect);
        var mirrors = rule.Filters.Select(f => f.RequestMirror).OfType<RequestMirror>().ToList();
        if (mirrors.Count > 0)
        {
            json["mirrors"] = Array(mirrors.Select(m => new JsonObject
            {
                ["destination"] = Destination(m.BackendRef, route.Metadata.Namespace),
                ["percentage"] = new JsonObject { ["value"] = m.Percent },
            }));
        }
        if (rule.Timeouts?.Request is { } timeout)
            json["timeout"] = writer.Duration(timeout, $"{path}.timeouts.request");
        if (rule.Timeouts?.BackendRequest is not null)
            writer.Warning($"{path}.timeouts.backendRequest", "Istio sets a per-attempt timeout only with retries (retries.perTryTimeout, from the service's ResiliencePolicy); not exported");
        if (rule.BackendRefs.Count > 0)
            json["retries"] = Retries(rule, route, all, writer, path);
        if (rule.Fault is { } fault)
            json["fault"] = Fault(fault, writer, $"{path}.fault");
        return json;
    }

    /// <summary>
    /// Meshwork's pathPrefix matches whole segments; Istio's prefix any string prefix. "/api"
    /// becomes exact "/api" plus prefix "/api/", unless a prefix rewrite needs one prefix match.
    /// </summary>
    private static IEnumerable<JsonObject> Matches(HttpRouteMatch match, bool prefixRewrite, ExportWriter writer, string path)
    {
        var conditions = new JsonObject();
        if (match.Method is not null)
            conditions["method"] = new JsonObject { ["exact"] = match.Method };
        if (match.Headers.Count > 0)
            conditions["headers"] = new JsonObject(match.Headers.Select(h => KeyValuePair.Create(h.Name.ToLowerInvariant(), (JsonNode?)StringMatch(h.Type, h.Value))));
        if (match.QueryParams.Count > 0)
            conditions["queryParams"] = new JsonObject(match.QueryParams.Select(q => KeyValuePair.Create(q.Name, (JsonNode?)StringMatch(q.Type, q.Value))));
        switch (match.Path)
        {
            case null:
                yield return conditions;
                break;
            case { Type: PathMatchType.Exact } exact:
                yield return With(conditions, new JsonObject { ["exact"] = exact.Value });
                break;
            case { Type: PathMatchType.RegularExpression } regex:
                yield return With(conditions, new JsonObject { ["regex"] = regex.Value });
                break;
            case var prefix when prefix.Value.TrimEnd('/') is var p && p.Length == 0:
                yield return With(conditions, new JsonObject { ["prefix"] = "/" });
                break;
            case var prefix when prefixRewrite:
                writer.Warning($"{path}.path", $"a prefix rewrite needs one Istio prefix match: '{prefix.Value}' there also matches paths that merely start with it");
                yield return With(conditions, new JsonObject { ["prefix"] = prefix.Value });
                break;
            case var prefix:
                var segment = prefix.Value.TrimEnd('/');
                var copy = conditions.DeepClone().AsObject();
                yield return With(conditions, new JsonObject { ["exact"] = segment });
                yield return With(copy, new JsonObject { ["prefix"] = segment + "/" });
                break;
        }
    }

    private static JsonObject With(JsonObject conditions, JsonObject uri)
    {
        var json = new JsonObject { ["uri"] = uri };
        foreach (var (key, value) in conditions.ToList())
        {
            conditions.Remove(key);
            json[key] = value;
        }
        return json;
    }

    private static JsonObject StringMatch(StringMatchType type, string value) =>
        new() { [type == StringMatchType.Exact ? "exact" : "regex"] = value };

    internal static JsonObject Destination(BackendRef backend, string routeNamespace)
    {
        var json = new JsonObject
        {
            ["host"] = backend.Namespace is null || backend.Namespace == routeNamespace ? backend.Service : $"{backend.Service}.{backend.Namespace}.svc.cluster.local",
        };
        if (backend.Version is not null)
            json["subset"] = backend.Version;
        return json;
    }

    private static JsonObject HeaderOperations(HeaderModifier modifier)
    {
        var json = new JsonObject();
        if (modifier.Set.Count > 0)
            json["set"] = new JsonObject(modifier.Set.Select(h => KeyValuePair.Create(h.Name, (JsonNode?)h.Value)));
        if (modifier.Add.Count > 0)
            json["add"] = new JsonObject(modifier.Add.Select(h => KeyValuePair.Create(h.Name, (JsonNode?)h.Value)));
        if (modifier.Remove.Count > 0)
            json["remove"] = Array(modifier.Remove.Select(r => JsonValue.Create(r)));
        return json;
    }

    /// <summary>Istio's rewrite.uri replaces the matched prefix (prefix matches) or the whole path (exact); a full-path rewrite after another match is a regex rewrite of everything.</summary>
    private static JsonObject Rewrite(UrlRewrite rewrite, IReadOnlyList<HttpRouteMatch> matches)
    {
        var json = new JsonObject();
        if (rewrite.Hostname is not null)
            json["authority"] = rewrite.Hostname;
        if (rewrite.Path is { } path)
        {
            var exactOnly = matches.Count > 0 && matches.All(m => m.Path?.Type == PathMatchType.Exact);
            if (path.Type == PathModifierType.ReplacePrefixMatch || exactOnly)
                json["uri"] = path.Value;
            else
                json["uriRegexRewrite"] = new JsonObject { ["match"] = ".*", ["rewrite"] = path.Value };
        }
        return json;
    }

    private static JsonObject Redirect(RequestRedirect redirect)
    {
        var json = new JsonObject();
        if (redirect.Path is { } path)
            json[path.Type == PathModifierType.ReplaceFullPath ? "uri" : "prefixRewrite"] = path.Value;
        if (redirect.Hostname is not null)
            json["authority"] = redirect.Hostname;
        if (redirect.Port is { } port)
            json["port"] = port;
        if (redirect.Scheme is not null)
            json["scheme"] = redirect.Scheme;
        // Istio's default is 301, ours 302: always say which.
        json["redirectCode"] = redirect.StatusCode;
        return json;
    }

    /// <summary>The retries of the rule's destination service; none there means none here (Istio would otherwise retry twice).</summary>
    private static JsonObject Retries(HttpRouteRule rule, HttpRoute route, IReadOnlyList<Resource> all, ExportWriter writer, string path)
    {
        var policies = rule.BackendRefs
            .Select(b => (b.Namespace ?? route.Metadata.Namespace, b.Service)).Distinct()
            .Select(s => all.OfType<ResiliencePolicy>().FirstOrDefault(p => p.Service == s.Service && p.Metadata.Namespace == s.Item1)?.Retries)
            .ToList();
        if (policies.Distinct().Count() > 1)
            writer.Warning($"{path}.backendRefs", "the destination services retry differently; Istio retries per route, so the first service's retries are written");
        if (policies[0] is not { } retries || retries.Attempts == 0)
            return new JsonObject { ["attempts"] = 0 };
        if (rule.Fault is not null)
            writer.Warning($"{path}.fault", "Istio does not retry a route with a fault; the service's retries do not apply to it there");
        var retryOn = retries.RetryOn.Where(c => c != "retriable-status-codes").ToList();
        if (retries.RetryOn.Contains("retriable-status-codes"))
            retryOn.AddRange(retries.RetriableStatusCodes.Select(c => c.ToString(CultureInfo.InvariantCulture)));
        var json = new JsonObject { ["attempts"] = retries.Attempts, ["retryOn"] = string.Join(",", retryOn) };
        if (retries.PerTryTimeout is { } perTry)
            json["perTryTimeout"] = writer.Duration(perTry, $"{path}.retries.perTryTimeout");
        json["backoff"] = writer.Duration(retries.BackoffBase, $"{path}.retries.backoffBase");
        return json;
    }

    private static JsonObject Fault(FaultInjection fault, ExportWriter writer, string path)
    {
        var json = new JsonObject();
        if (fault.Delay is { } delay)
            json["delay"] = new JsonObject { ["fixedDelay"] = writer.Duration(delay.FixedDelay, $"{path}.delay.fixedDelay"), ["percentage"] = new JsonObject { ["value"] = delay.Percent } };
        if (fault.Abort is { } abort)
            json["abort"] = new JsonObject { ["httpStatus"] = abort.HttpStatus, ["percentage"] = new JsonObject { ["value"] = abort.Percent } };
        return json;
    }
}
