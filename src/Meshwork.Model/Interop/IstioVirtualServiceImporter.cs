using System.Text.RegularExpressions;
using Meshwork.Model.Resources;
using Meshwork.Model.Validation.Rules;

namespace Meshwork.Model.Interop;

/// <summary>
/// Istio VirtualService HTTP routes as one HttpRoute (its <c>tcp:</c> routes: <see cref="IstioTcpRouteImporter"/>). Istio tries routes in order and takes the
/// first match; Meshwork orders matches by Gateway API precedence, so routes Istio never reaches
/// are left out and a later route that would now be tried first is a warning. Istio's prefix
/// match is a plain string prefix ("/api" also matches "/apix"), so it becomes a regular
/// expression unless it is "/" or a rewrite needs the matched prefix.
/// </summary>
internal static class IstioVirtualServiceImporter
{
    public static void Translate(DocumentReader document, ImportSession session)
    {
        if (document.MetadataAndSpec() is not var (metadata, spec))
            return;
        spec.Unsupported("tls", "TLS passthrough (SNI) routes have no equivalent in Meshwork (HTTP and plain TCP routes only); ignored");
        spec.Unsupported("exportTo", "visibility across namespaces has no equivalent; the route applies to every caller in the mesh");

        var gateways = spec.Strings("gateways");
        var mesh = gateways.Count == 0 || gateways.Contains("mesh");
        var hosts = spec.Items("hosts");
        var parents = new List<ParentRef>();
        var hostnames = new List<string>();
        var meshHosts = new List<IstioTcpRouteImporter.MeshHost>();
        foreach (var host in hosts)
        {
            var name = host.Scalar() ?? "";
            var service = IstioHosts.Service(name, metadata.Namespace);
            if (mesh && service is var (svc, ns))
            {
                parents.Add(new ParentRef { Kind = ParentKind.Service, Name = svc, Namespace = ns == metadata.Namespace ? null : ns });
                meshHosts.Add(new(svc, ns, host.Path));
            }
            else if (mesh)
                document.Warning(host.Path, $"'{name}' is not a mesh service; Meshwork routes calls to mesh services only, so mesh traffic to it is not routed by this resource");
            if (!mesh || gateways.Count > 1)
            {
                if (name != "*")
                    hostnames.Add(name);
            }
        }
        foreach (var gateway in gateways.Where(g => g != "mesh"))
        {
            var slash = gateway.IndexOf('/');
            parents.Add(slash < 0
                ? new ParentRef { Kind = ParentKind.Gateway, Name = gateway }
                : new ParentRef { Kind = ParentKind.Gateway, Name = gateway[(slash + 1)..], Namespace = gateway[..slash] == metadata.Namespace ? null : gateway[..slash] });
        }
        if (parents.Count == 0)
        {
            document.Error(spec.FieldPath("hosts"), "names no mesh service and the route is bound to no gateway: nothing in Meshwork would use it");
            return;
        }
        // A VirtualService with only tcp routes is no HttpRoute; one with neither is an empty one.
        var hasTcp = spec.Has("tcp");
        if (!hasTcp || spec.Has("http"))
            AddHttpRoute(document, session, metadata, spec, parents, mesh && gateways.Count <= 1 ? [] : hostnames);
        if (hasTcp)
            IstioTcpRouteImporter.Translate(document, session, metadata, spec, gateways, meshHosts);
    }

    private static void AddHttpRoute(DocumentReader document, ImportSession session, ResourceMetadata metadata, SpecNode spec, List<ParentRef> parents, List<string> hostnames)
    {
        var rules = new List<(HttpRouteRule Rule, string Path)>();
        foreach (var route in spec.Items("http"))
        {
            if (Rule(route, document, session, metadata.Namespace) is { } rule)
                rules.Add((rule, route.Path));
        }
        rules = DropUnreachable(rules, document);
        WarnAboutReordering(rules, document);
        session.Add(new HttpRoute
        {
            Metadata = metadata,
            ParentRefs = parents,
            Hostnames = hostnames,
            Rules = rules.Select(r => r.Rule).ToList(),
        }, document);
    }

    private static HttpRouteRule? Rule(SpecNode route, DocumentReader document, ImportSession session, string ns)
    {
        route.Unsupported("directResponse", "fixed responses have no equivalent in Meshwork; the route is left out");
        route.Unsupported("delegate", "delegation to another VirtualService has no equivalent; the route is left out");
        route.Unsupported("corsPolicy", "CORS has no equivalent in Meshwork; ignored (the backend sees preflight requests)");
        if (route.Has("directResponse") || route.Has("delegate"))
        {
            route.Ignore("name", "match", "route", "redirect", "rewrite", "timeout", "retries", "fault", "mirror", "mirrors", "mirrorPercent", "mirrorPercentage", "headers");
            return null;
        }
        var rewrite = route.Field("rewrite");
        var rewriteUri = rewrite?.String("uri");
        var redirectNode = route.Field("redirect");
        var needsPrefix = rewriteUri is not null || redirectNode?.Has("prefixRewrite") == true;
        var matches = route.Items("match").Select(m => Match(m, document, needsPrefix)).ToList();
        matches = CollapseSegmentPrefixes(matches);
        var filters = new List<HttpRouteFilter>();
        if (route.Field("headers") is { } headers)
            filters.AddRange(HeaderFilters(headers));
        if (rewrite is not null)
            filters.Add(Rewrite(rewrite, rewriteUri, matches, document));
        if (redirectNode is not null)
            filters.Add(Redirect(redirectNode, document));
        filters.AddRange(Mirrors(route, document, session, ns));

        var backends = new List<BackendRef>();
        var destinations = route.Items("route");
        foreach (var destination in destinations)
        {
            if (WeightedDestination(destination, destinations.Count, document, session, ns) is not { } backend)
                continue;
            backends.Add(backend);
            if (destination.Field("headers") is { } perDestination)
            {
                if (destinations.Count == 1)
                    filters.AddRange(HeaderFilters(perDestination));
                else
                {
                    perDestination.Ignore("request", "response");
                    document.Warning(perDestination.Path, "header changes per destination have no equivalent when a route splits traffic (Meshwork's apply to the whole rule); ignored");
                }
            }
        }

        var fault = Fault(route.Field("fault"), document);
        var timeout = route.Duration("timeout");
        var retries = IstioRetries.Translate(route.Field("retries"), document);
        if (fault is not null)
        {
            // "timeouts or retries will not be enabled when faults are enabled on the client side"
            if (timeout is not null)
                document.Warning(route.FieldPath("timeout"), "Istio does not apply a timeout to a route with a fault; none is set");
            timeout = null;
            document.Warning(route.FieldPath("fault"), "Istio does not retry a route with a fault; Meshwork retries per destination service, so the service's retries (if any) apply to it");
        }
        if (timeout == TimeSpan.Zero)
            timeout = null;
        if (fault is null)
        {
            foreach (var backend in backends.DistinctBy(b => (b.Namespace, b.Service)))
                RecordRetries(session, document, route, backend.Namespace ?? ns, backend.Service, retries);
        }
        return new HttpRouteRule
        {
            Name = route.String("name"),
            Matches = matches,
            Filters = filters,
            BackendRefs = backends,
            Timeouts = timeout is null ? null : new RouteTimeouts { Request = timeout },
            Fault = fault,
        };
    }

    /// <summary>
    /// Meshwork retries per destination service, Istio per route: the routes to one service must
    /// agree. A route that sets retries wins over routes that take Istio's default; two that set
    /// different ones keep the first, with a warning.
    /// </summary>
    private static void RecordRetries(ImportSession session, DocumentReader document, SpecNode route, string ns, string service, RetryPolicy retries)
    {
        var path = route.FieldPath("retries");
        var explicitly = route.Has("retries");
        if (!session.Retries.TryGetValue((ns, service), out var existing))
        {
            session.Retries[(ns, service)] = (retries, path, document, explicitly);
            return;
        }
        if (Same(existing.Retries, retries) || existing.Path == path)
            return;
        if (explicitly && !existing.Explicit)
        {
            session.Retries[(ns, service)] = (retries, path, document, explicitly);
            document.Warning(existing.Path, $"Meshwork retries per destination service: this route sets none (Istio's default, 2 attempts), but '{service}' takes its retries from {path}");
            return;
        }
        document.Warning(path, explicitly
            ? $"Meshwork retries per destination service; '{service}' already takes its retries from {existing.Path}, so these are not used"
            : $"Meshwork retries per destination service: this route sets none (Istio's default, 2 attempts), but '{service}' takes its retries from {existing.Path}");
    }

    private static bool Same(RetryPolicy a, RetryPolicy b) =>
        System.Text.Json.JsonSerializer.Serialize(a, Serialization.MeshworkJson.Options) == System.Text.Json.JsonSerializer.Serialize(b, Serialization.MeshworkJson.Options);

    private static HttpRouteMatch Match(SpecNode node, DocumentReader document, bool needsPrefix)
    {
        const string broader = "has no equivalent in Meshwork; the rule matches without this condition";
        foreach (var field in new[] { "scheme", "authority", "port", "sourceLabels", "gateways", "withoutHeaders", "sourceNamespace" })
            node.Unsupported(field, broader);
        node.Unsupported("ignoreUriCase", "Meshwork compares paths case-sensitively; the path must match exactly as written");
        node.Ignore("name", "statPrefix");
        var uri = node.Field("uri");
        return new HttpRouteMatch
        {
            Path = uri is null ? null : Path(uri, document, needsPrefix),
            Method = node.Field("method") is { } method ? Method(method, document) : null,
            Headers = node.Entries("headers").Select(h => StringMatch(h.Value, document) is var (type, value)
                ? new HeaderMatch { Name = h.Key, Type = type, Value = value } : null).OfType<HeaderMatch>().ToList(),
            QueryParams = node.Entries("queryParams").Select(q => StringMatch(q.Value, document) is var (type, value)
                ? new QueryParamMatch { Name = q.Key, Type = type, Value = value } : null).OfType<QueryParamMatch>().ToList(),
        };
    }

    private static PathMatch? Path(SpecNode uri, DocumentReader document, bool needsPrefix)
    {
        if (uri.String("exact") is { } exact)
            return new PathMatch { Type = PathMatchType.Exact, Value = exact };
        if (uri.String("regex") is { } regex)
            return new PathMatch { Type = PathMatchType.RegularExpression, Value = regex };
        if (uri.String("prefix") is not { } prefix)
        {
            document.Error(uri.Path, "needs exact, prefix or regex");
            return null;
        }
        if (prefix == "/")
            return new PathMatch();
        if (needsPrefix)
        {
            document.Warning(uri.FieldPath("prefix"), $"Istio's prefix '{prefix}' also matches paths that merely start with it ('{prefix.TrimEnd('/')}x'); Meshwork's pathPrefix, needed by the rewrite, matches whole path segments only");
            return new PathMatch { Type = PathMatchType.PathPrefix, Value = prefix };
        }
        return new PathMatch { Type = PathMatchType.RegularExpression, Value = Regex.Escape(prefix) + ".*" };
    }

    /// <summary>
    /// Istio matches {exact P} and {prefix P/} with the same other conditions are exactly
    /// Meshwork's pathPrefix P (how the Istio exporter writes it): one match again.
    /// </summary>
    private static List<HttpRouteMatch> CollapseSegmentPrefixes(List<HttpRouteMatch> matches)
    {
        var result = new List<HttpRouteMatch>(matches);
        for (var i = 0; i < result.Count; i++)
        {
            if (result[i].Path is not { Type: PathMatchType.Exact, Value: var value })
                continue;
            var segmentRegex = Regex.Escape(value + "/") + ".*";
            var partner = result.FindIndex(m => m.Path is { Type: PathMatchType.RegularExpression } p && p.Value == segmentRegex
                && SameConditions(m, result[i]));
            if (partner < 0)
                continue;
            result[i] = result[i] with { Path = new PathMatch { Type = PathMatchType.PathPrefix, Value = value } };
            result.RemoveAt(partner);
        }
        return result;
    }

    private static bool SameConditions(HttpRouteMatch a, HttpRouteMatch b) =>
        a.Method == b.Method && a.Headers.SequenceEqual(b.Headers) && a.QueryParams.SequenceEqual(b.QueryParams);

    private static string? Method(SpecNode node, DocumentReader document)
    {
        if (node.String("exact") is { } exact)
            return exact;
        node.Ignore("prefix", "regex");
        document.Warning(node.Path, "only an exact method has an equivalent; the rule matches every method");
        return null;
    }

    /// <summary>Istio StringMatch: exact, prefix (as a regular expression) or regex.</summary>
    private static (StringMatchType, string)? StringMatch(SpecNode node, DocumentReader document)
    {
        if (node.String("exact") is { } exact)
            return (StringMatchType.Exact, exact);
        if (node.String("prefix") is { } prefix)
            return (StringMatchType.RegularExpression, Regex.Escape(prefix) + ".*");
        if (node.String("regex") is { } regex)
            return (StringMatchType.RegularExpression, regex);
        // An empty StringMatch ({}) matches any value of a present header.
        return (StringMatchType.RegularExpression, ".*");
    }

    private static IEnumerable<HttpRouteFilter> HeaderFilters(SpecNode headers)
    {
        if (headers.Field("request") is { } request)
            yield return new HttpRouteFilter { Type = HttpRouteFilterType.RequestHeaderModifier, RequestHeaderModifier = HeaderOperations(request) };
        if (headers.Field("response") is { } response)
            yield return new HttpRouteFilter { Type = HttpRouteFilterType.ResponseHeaderModifier, ResponseHeaderModifier = HeaderOperations(response) };
    }

    private static HeaderModifier HeaderOperations(SpecNode node) => new()
    {
        Set = node.StringMap("set").Select(kv => new HttpHeader { Name = kv.Key, Value = kv.Value }).ToList(),
        Add = node.StringMap("add").Select(kv => new HttpHeader { Name = kv.Key, Value = kv.Value }).ToList(),
        Remove = node.Strings("remove"),
    };

    private static HttpRouteFilter Rewrite(SpecNode rewrite, string? uri, IReadOnlyList<HttpRouteMatch> matches, DocumentReader document)
    {
        PathModifier? path = null;
        if (rewrite.Field("uriRegexRewrite") is { } regexRewrite)
        {
            // Rewriting everything (".*") is a full-path replacement; other patterns have no equivalent.
            if (regexRewrite.String("match") is ".*" or "^.*$" or "^/.*$" && regexRewrite.String("rewrite") is { } full && !full.Contains('\\'))
                path = new PathModifier { Type = PathModifierType.ReplaceFullPath, Value = full };
            else
                document.Warning(regexRewrite.Path, "regular-expression rewrites other than of the whole path ('.*') have no equivalent in Meshwork; the path is not rewritten");
        }
        if (uri is not null)
        {
            // "If the original URI was matched based on prefix, the value replaces the matched prefix."
            var allPrefix = matches.Count > 0 && matches.All(m => m.Path is { Type: PathMatchType.PathPrefix });
            path = new PathModifier { Type = allPrefix ? PathModifierType.ReplacePrefixMatch : PathModifierType.ReplaceFullPath, Value = uri };
        }
        return new HttpRouteFilter { Type = HttpRouteFilterType.UrlRewrite, UrlRewrite = new UrlRewrite { Hostname = rewrite.String("authority"), Path = path } };
    }

    private static HttpRouteFilter Redirect(SpecNode node, DocumentReader document)
    {
        node.Unsupported("derivePort", "has no equivalent in Meshwork; the redirect keeps the request's port unless port is set");
        var prefix = node.String("prefixRewrite");
        var uri = node.String("uri");
        return new HttpRouteFilter
        {
            Type = HttpRouteFilterType.RequestRedirect,
            RequestRedirect = new RequestRedirect
            {
                Scheme = node.String("scheme"),
                Hostname = node.String("authority"),
                Port = node.Int("port"),
                // Istio's default redirect is 301 (Gateway API's is 302).
                StatusCode = node.Int("redirectCode") ?? 301,
                Path = prefix is not null ? new PathModifier { Type = PathModifierType.ReplacePrefixMatch, Value = prefix }
                    : uri is not null ? new PathModifier { Type = PathModifierType.ReplaceFullPath, Value = uri } : null,
            },
        };
    }

    private static IEnumerable<HttpRouteFilter> Mirrors(SpecNode route, DocumentReader document, ImportSession session, string ns)
    {
        var mirrors = new List<HttpRouteFilter>();
        if (route.Field("mirror") is { } mirror && Destination(mirror, mirror.Path, document, session, ns) is { } target)
        {
            // mirrorPercentage (double) wins over the deprecated integer mirrorPercent; neither: 100%.
            var percent = route.Field("mirrorPercentage")?.Double("value") ?? route.Int("mirrorPercent") ?? 100;
            mirrors.Add(MirrorFilter(target, percent));
        }
        foreach (var policy in route.Items("mirrors"))
        {
            if (Destination(policy.Field("destination"), policy.FieldPath("destination"), document, session, ns) is { } destination)
                mirrors.Add(MirrorFilter(destination, policy.Field("percentage")?.Double("value") ?? 100));
        }
        return mirrors;
    }

    private static HttpRouteFilter MirrorFilter(BackendRef target, double percent) =>
        new() { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new RequestMirror { BackendRef = target, Percent = percent } };

    /// <summary>An Istio RouteDestination (http or tcp) as a weighted backend; null, with the error, when it names no mesh service.</summary>
    internal static BackendRef? WeightedDestination(SpecNode destination, int destinationCount, DocumentReader document, ImportSession session, string ns)
    {
        if (Destination(destination.Field("destination"), destination.FieldPath("destination"), document, session, ns) is not { } backend)
            return null;
        // "If there is only one destination in a rule, it will receive all traffic."
        var weight = destination.Int("weight");
        return backend with { Weight = destinationCount == 1 ? (weight is > 0 ? weight.Value : 100) : weight ?? 0 };
    }

    private static BackendRef? Destination(SpecNode? node, string path, DocumentReader document, ImportSession session, string ns)
    {
        if (node is null)
        {
            document.Error(path, "is required");
            return null;
        }
        // A Meshwork service has one port: the destination's port names it.
        node.Ignore("port");
        var host = node.String("host") ?? "";
        if (IstioHosts.Service(host, ns) is not var (service, serviceNs))
        {
            document.Error(node.FieldPath("host"), $"'{host}' is not a mesh service; Meshwork routes to mesh services only");
            return null;
        }
        var version = IstioSubsetVersions.Resolve(session, document, node.FieldPath("subset"), service, serviceNs, node.String("subset"));
        return new BackendRef { Service = service, Namespace = serviceNs == ns ? null : serviceNs, Version = version };
    }

    private static FaultInjection? Fault(SpecNode? node, DocumentReader document)
    {
        if (node is null)
            return null;
        FaultDelay? delay = null;
        FaultAbort? abort = null;
        if (node.Field("delay") is { } d)
        {
            d.Unsupported("exponentialDelay", "has no equivalent in Meshwork; no delay is injected");
            if (d.Duration("fixedDelay") is { } fixedDelay)
                delay = new FaultDelay { FixedDelay = fixedDelay, Percent = FaultPercent(d, document, "delayed", deprecatedPercent: true) };
        }
        if (node.Field("abort") is { } a)
        {
            a.Unsupported("grpcStatus", "gRPC status aborts have no equivalent in Meshwork (HTTP status only); no abort is injected");
            a.Unsupported("http2Error", "has no equivalent in Meshwork; no abort is injected");
            if (a.Int("httpStatus") is { } status)
                abort = new FaultAbort { HttpStatus = status, Percent = FaultPercent(a, document, "aborted", deprecatedPercent: false) };
        }
        return delay is null && abort is null ? null : new FaultInjection { Delay = delay, Abort = abort };
    }

    /// <summary>percentage.value, else the deprecated integer percent (delay only); neither: Istio injects into no request.</summary>
    private static double FaultPercent(SpecNode node, DocumentReader document, string verb, bool deprecatedPercent)
    {
        if (node.Field("percentage") is { } percentage)
            return percentage.Double("value") ?? 0;
        if (deprecatedPercent && node.Int("percent") is { } percent)
            return percent;
        document.Warning(node.Path, $"neither percentage nor percent is set: Istio documents that no request is {verb}; percent 0 is written");
        return 0;
    }

    /// <summary>Istio takes the first route that matches: a route every request of which an earlier route takes is never used there.</summary>
    private static List<(HttpRouteRule Rule, string Path)> DropUnreachable(List<(HttpRouteRule Rule, string Path)> rules, DocumentReader document)
    {
        var kept = new List<(HttpRouteRule Rule, string Path)>();
        foreach (var (rule, path) in rules)
        {
            var laterMatches = rule.Matches.Count == 0 ? [new HttpRouteMatch()] : rule.Matches;
            var earlier = kept.FirstOrDefault(k => laterMatches.All(m => (k.Rule.Matches.Count == 0 ? [new HttpRouteMatch()] : k.Rule.Matches).Any(e => RuleShadowing.Covers(e, m))));
            if (earlier.Rule is not null)
            {
                document.Warning(path, $"Istio never uses this route: {earlier.Path} comes first and matches every request it matches; left out");
                continue;
            }
            kept.Add((rule, path));
        }
        return kept;
    }

    /// <summary>Warns where Gateway API precedence would try a later Istio route before an earlier one that may match the same requests.</summary>
    private static void WarnAboutReordering(List<(HttpRouteRule Rule, string Path)> rules, DocumentReader document)
    {
        var order = RoutePrecedence.Order(rules.Select(r => (HttpRouteRule?)r.Rule).ToList());
        var warned = new HashSet<(int, int)>();
        for (var i = 0; i < order.Count; i++)
        {
            for (var j = i + 1; j < order.Count; j++)
            {
                var (first, second) = (order[i], order[j]);
                if (first.RuleIndex > second.RuleIndex && MayOverlap(first.Match, second.Match) && warned.Add((first.RuleIndex, second.RuleIndex)))
                {
                    document.Warning(rules[first.RuleIndex].Path,
                        $"Meshwork tries this route before {rules[second.RuleIndex].Path} (Gateway API precedence: exact, regular expression, longest prefix, then method, headers, query parameters); Istio tries routes in order, so a request both match goes elsewhere than in Istio");
                }
            }
        }
    }

    internal static bool MayOverlap(HttpRouteMatch a, HttpRouteMatch b)
    {
        if (a.Method is not null && b.Method is not null && a.Method != b.Method)
            return false;
        var (pa, pb) = (a.Path ?? new PathMatch(), b.Path ?? new PathMatch());
        return (pa.Type, pb.Type) switch
        {
            (PathMatchType.Exact, PathMatchType.Exact) => pa.Value == pb.Value,
            (PathMatchType.Exact, PathMatchType.PathPrefix) => UnderPrefix(pa.Value, pb.Value),
            (PathMatchType.PathPrefix, PathMatchType.Exact) => UnderPrefix(pb.Value, pa.Value),
            (PathMatchType.PathPrefix, PathMatchType.PathPrefix) => UnderPrefix(pa.Value, pb.Value) || UnderPrefix(pb.Value, pa.Value),
            // A regular expression can only match paths starting with its literal beginning.
            (PathMatchType.RegularExpression, _) => Compatible(LiteralPrefix(pa.Value), pb),
            (_, PathMatchType.RegularExpression) => Compatible(LiteralPrefix(pb.Value), pa),
            _ => true,
        };
    }

    private static bool Compatible(string literal, PathMatch other)
    {
        var start = other.Type switch
        {
            PathMatchType.RegularExpression => LiteralPrefix(other.Value),
            PathMatchType.PathPrefix => other.Value.TrimEnd('/'),
            _ => other.Value,
        };
        return other.Type == PathMatchType.Exact
            ? start.StartsWith(literal, StringComparison.Ordinal)
            : start.StartsWith(literal, StringComparison.Ordinal) || literal.StartsWith(start, StringComparison.Ordinal);
    }

    /// <summary>The characters a pattern matches literally before its first construct ("/old" of "/old.*").</summary>
    private static string LiteralPrefix(string pattern)
    {
        var end = pattern.IndexOfAny(['.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$', '\\']);
        return end < 0 ? pattern : pattern[..end];
    }

    private static bool UnderPrefix(string path, string prefix)
    {
        var p = prefix.TrimEnd('/');
        return p.Length == 0 || path == p || path.StartsWith(p + "/", StringComparison.Ordinal);
    }
}
