using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>Gateway API HTTPRoute rules, plus Istio-style fault injection.</summary>
internal static class HttpRouteRules
{
    /// <summary>Gateway API's upper bound for a backendRef weight.</summary>
    public const int MaxWeight = 1_000_000;

    private const string IgnoreCaseNote = " (header names ignore case)";

    // Gateway API HTTPRoute maxItems.
    public const int MaxParentRefs = 32;
    public const int MaxHostnames = 16;
    public const int MaxRules = 16;
    public const int MaxMatches = 64;
    public const int MaxFilters = 16;
    public const int MaxBackendRefs = 16;
    public const int MaxHeaderAndQueryMatches = 16;
    public const int MaxHeaderModifications = 16;

    public static void Check(Checks checks, HttpRoute route)
    {
        var ns = route.Metadata?.Namespace ?? ResourceMetadata.DefaultNamespace;
        checks.MaxItems("parentRefs", route.ParentRefs, MaxParentRefs);
        checks.MaxItems("hostnames", route.Hostnames, MaxHostnames);
        if (!checks.MaxItems("rules", route.Rules, MaxRules))
            return;
        if ((route.Rules ?? []).Any(r => r?.Matches is { Count: > MaxMatches }))
        {
            for (var i = 0; i < route.Rules!.Count; i++)
                checks.MaxItems($"rules[{i}].matches", route.Rules[i]?.Matches, MaxMatches);
            return;
        }
        checks.Each("parentRefs", route.ParentRefs, (path, parent) =>
        {
            checks.Defined($"{path}.kind", parent.Kind);
            checks.OptionalDnsLabel($"{path}.namespace", parent.Namespace);
            if (parent.Kind == ParentKind.Service)
                checks.KnownService($"{path}.name", parent.Name, parent.Namespace ?? ns, namespaceSettable: true);
            else
                checks.DnsLabel($"{path}.name", parent.Name);
        });
        checks.NoDuplicates("parentRefs", route.ParentRefs, p => $"{p.Kind}/{p.Namespace ?? ns}/{p.Name}", "", "parent");
        checks.Each("hostnames", route.Hostnames, checks.Hostname);
        checks.NoDuplicates("hostnames", route.Hostnames, h => h, "", "hostname");
        checks.Each("rules", route.Rules, (path, rule) => CheckRule(checks, path, rule, ns));
        checks.NoDuplicates("rules", route.Rules, r => r.Name, "name", "rule name");
        RuleShadowing.Check(checks, route.Rules);
        GatewayHostnames.Check(checks, route);
    }

    private static void CheckRule(Checks checks, string path, HttpRouteRule rule, string ns)
    {
        checks.OptionalDnsLabel($"{path}.name", rule.Name);
        checks.Each($"{path}.matches", rule.Matches, (matchPath, match) => CheckMatch(checks, matchPath, match));
        CheckFilters(checks, path, rule, ns);
        CheckBackends(checks, path, rule, ns);
        if (rule.Timeouts is { } timeouts)
        {
            checks.OptionalPositiveDuration($"{path}.timeouts.request", timeouts.Request);
            checks.OptionalPositiveDuration($"{path}.timeouts.backendRequest", timeouts.BackendRequest);
            if (timeouts is { Request: { } request, BackendRequest: { } backend } && request > TimeSpan.Zero && backend > request)
                checks.Error($"{path}.timeouts.backendRequest", $"must not exceed timeouts.request ({Serialization.Durations.Format(request)}), was {Serialization.Durations.Format(backend)}");
        }
        if (rule.Fault is { } fault)
            CheckFault(checks, $"{path}.fault", fault);
    }

    private static void CheckMatch(Checks checks, string path, HttpRouteMatch match)
    {
        if (match.Path is { } pathMatch && checks.Defined($"{path}.path.type", pathMatch.Type))
        {
            if (pathMatch.Type == PathMatchType.RegularExpression)
                checks.Regex($"{path}.path.value", pathMatch.Value);
            else
                checks.AbsolutePath($"{path}.path.value", pathMatch.Value);
        }
        checks.HttpMethod($"{path}.method", match.Method);
        if (!checks.MaxItems($"{path}.headers", match.Headers, MaxHeaderAndQueryMatches)
            | !checks.MaxItems($"{path}.queryParams", match.QueryParams, MaxHeaderAndQueryMatches))
            return;
        checks.Each($"{path}.headers", match.Headers, (headerPath, header) =>
        {
            checks.HeaderName($"{headerPath}.name", header.Name);
            StringMatch(checks, headerPath, header.Type, header.Value);
        });
        checks.NoDuplicates($"{path}.headers", match.Headers, h => h.Name, "name", "header match", StringComparer.OrdinalIgnoreCase, IgnoreCaseNote);
        checks.Each($"{path}.queryParams", match.QueryParams, (queryPath, query) =>
        {
            checks.Required($"{queryPath}.name", query.Name);
            StringMatch(checks, queryPath, query.Type, query.Value);
        });
        checks.NoDuplicates($"{path}.queryParams", match.QueryParams, q => q.Name, "name", "query parameter match");
    }

    /// <summary>Header and query values: an exact value may be empty, a regex must be safe.</summary>
    public static void StringMatch(Checks checks, string path, StringMatchType type, string? value)
    {
        if (!checks.Defined($"{path}.type", type))
            return;
        if (type == StringMatchType.RegularExpression)
            checks.Regex($"{path}.value", value);
        else if (value is null)
            checks.Error($"{path}.value", "is required");
    }

    private static readonly HttpRouteFilterType[] OncePerRule =
    [
        HttpRouteFilterType.RequestHeaderModifier, HttpRouteFilterType.ResponseHeaderModifier,
        HttpRouteFilterType.UrlRewrite, HttpRouteFilterType.RequestRedirect,
    ];

    private static void CheckFilters(Checks checks, string rulePath, HttpRouteRule rule, string ns)
    {
        if (!checks.MaxItems($"{rulePath}.filters", rule.Filters, MaxFilters))
            return;
        var filters = rule.Filters ?? [];
        var firstOfType = new Dictionary<HttpRouteFilterType, int>();
        for (var i = 0; i < filters.Count; i++)
        {
            var path = $"{rulePath}.filters[{i}]";
            if (filters[i] is not { } filter)
            {
                checks.Error(path, "must not be empty");
                continue;
            }
            if (!checks.Defined($"{path}.type", filter.Type))
                continue;
            if (firstOfType.TryGetValue(filter.Type, out var earlier) && OncePerRule.Contains(filter.Type))
                checks.Error($"{path}.type", $"a rule may have only one {Camel(filter.Type)} filter; filters[{earlier}] is one too");
            firstOfType.TryAdd(filter.Type, i);
            CheckFilterShape(checks, path, filter);
            switch (filter.Type)
            {
                case HttpRouteFilterType.RequestHeaderModifier when filter.RequestHeaderModifier is { } m:
                    CheckHeaderModifier(checks, $"{path}.requestHeaderModifier", m);
                    break;
                case HttpRouteFilterType.ResponseHeaderModifier when filter.ResponseHeaderModifier is { } m:
                    CheckHeaderModifier(checks, $"{path}.responseHeaderModifier", m);
                    break;
                case HttpRouteFilterType.UrlRewrite when filter.UrlRewrite is { } rewrite:
                    CheckUrlRewrite(checks, $"{path}.urlRewrite", rewrite, rule);
                    break;
                case HttpRouteFilterType.RequestRedirect when filter.RequestRedirect is { } redirect:
                    CheckRedirect(checks, $"{path}.requestRedirect", redirect, rule);
                    break;
                case HttpRouteFilterType.RequestMirror when filter.RequestMirror is { } mirror:
                    if (checks.Required($"{path}.requestMirror.backendRef", mirror.BackendRef))
                        checks.Backend($"{path}.requestMirror.backendRef", mirror.BackendRef, ns);
                    checks.Percent($"{path}.requestMirror.percent", mirror.Percent);
                    break;
            }
        }
        if (firstOfType.TryGetValue(HttpRouteFilterType.UrlRewrite, out var rewriteAt)
            && firstOfType.TryGetValue(HttpRouteFilterType.RequestRedirect, out var redirectAt))
        {
            checks.Error($"{rulePath}.filters[{Math.Max(rewriteAt, redirectAt)}]",
                "a rule cannot both rewrite the request (urlRewrite) and redirect it (requestRedirect); use one of them");
        }
        if (firstOfType.ContainsKey(HttpRouteFilterType.RequestRedirect) && rule.BackendRefs is { Count: > 0 })
            checks.Error($"{rulePath}.backendRefs", "must be empty when the rule has a requestRedirect filter: the redirect answers the request itself");
    }

    /// <summary>Exactly the property the filter's type names is set, no other.</summary>
    private static void CheckFilterShape(Checks checks, string path, HttpRouteFilter filter)
    {
        (HttpRouteFilterType Type, string Name, object? Value)[] properties =
        [
            (HttpRouteFilterType.RequestHeaderModifier, "requestHeaderModifier", filter.RequestHeaderModifier),
            (HttpRouteFilterType.ResponseHeaderModifier, "responseHeaderModifier", filter.ResponseHeaderModifier),
            (HttpRouteFilterType.UrlRewrite, "urlRewrite", filter.UrlRewrite),
            (HttpRouteFilterType.RequestRedirect, "requestRedirect", filter.RequestRedirect),
            (HttpRouteFilterType.RequestMirror, "requestMirror", filter.RequestMirror),
        ];
        foreach (var (type, name, value) in properties)
        {
            if (type == filter.Type && value is null)
                checks.Error($"{path}.{name}", $"is required for a filter of type {Camel(filter.Type)}");
            else if (type != filter.Type && value is not null)
                checks.Error($"{path}.{name}", $"must not be set on a filter of type {Camel(filter.Type)}; set type to {name} or remove it");
        }
    }

    private static void CheckHeaderModifier(Checks checks, string path, HeaderModifier modifier)
    {
        checks.MaxItems($"{path}.remove", modifier.Remove, MaxHeaderModifications);
        foreach (var (field, list) in new[] { ("set", modifier.Set), ("add", modifier.Add) })
        {
            if (!checks.MaxItems($"{path}.{field}", list, MaxHeaderModifications))
                continue;
            checks.Each($"{path}.{field}", list, (headerPath, header) =>
            {
                checks.HeaderName($"{headerPath}.name", header.Name);
                if (header.Value is null)
                    checks.Error($"{headerPath}.value", "is required");
            });
            checks.NoDuplicates($"{path}.{field}", list, h => h.Name, "name", "header", StringComparer.OrdinalIgnoreCase, IgnoreCaseNote);
        }
        checks.Each($"{path}.remove", modifier.Remove, checks.HeaderName);
        checks.NoDuplicates($"{path}.remove", modifier.Remove, r => r, "", "header", StringComparer.OrdinalIgnoreCase, IgnoreCaseNote);
    }

    private static void CheckUrlRewrite(Checks checks, string path, UrlRewrite rewrite, HttpRouteRule rule)
    {
        if (rewrite.Hostname is null && rewrite.Path is null)
            checks.Error(path, "set hostname, path or both; an empty rewrite changes nothing");
        if (rewrite.Hostname is not null)
            checks.Hostname($"{path}.hostname", rewrite.Hostname);
        if (rewrite.Path is { } modifier)
            CheckPathModifier(checks, $"{path}.path", modifier, rule);
    }

    private static void CheckRedirect(Checks checks, string path, RequestRedirect redirect, HttpRouteRule rule)
    {
        if (redirect.Scheme is not null and not ("http" or "https"))
            checks.Error($"{path}.scheme", $"must be http or https, was '{redirect.Scheme}'");
        if (redirect.Hostname is not null)
            checks.Hostname($"{path}.hostname", redirect.Hostname);
        if (redirect.Port is { } port)
            checks.Port($"{path}.port", port);
        if (redirect.StatusCode is not (301 or 302 or 303 or 307 or 308))
            checks.Error($"{path}.statusCode", $"must be a redirect status: 301, 302, 303, 307 or 308, was {redirect.StatusCode}");
        if (redirect.Path is { } modifier)
            CheckPathModifier(checks, $"{path}.path", modifier, rule);
    }

    private static void CheckPathModifier(Checks checks, string path, PathModifier modifier, HttpRouteRule rule)
    {
        if (!checks.Defined($"{path}.type", modifier.Type))
            return;
        checks.AbsolutePath($"{path}.value", modifier.Value);
        // Gateway API: ReplacePrefixMatch replaces the matched prefix, so every match must be a prefix match.
        if (modifier.Type == PathModifierType.ReplacePrefixMatch
            && (rule.Matches ?? []).Any(m => m?.Path is { Type: not PathMatchType.PathPrefix }))
            checks.Error($"{path}.type", "replacePrefixMatch needs every match of the rule to be a pathPrefix match");
    }

    private static void CheckBackends(Checks checks, string rulePath, HttpRouteRule rule, string ns)
    {
        var path = $"{rulePath}.backendRefs";
        if (!WeightedBackends(checks, path, rule.BackendRefs, ns))
            return;
        var backends = (rule.BackendRefs ?? []).Where(b => b is not null).ToList();
        var redirects = (rule.Filters ?? []).Any(f => f?.Type == HttpRouteFilterType.RequestRedirect);
        if (backends.Count == 0 && !redirects && rule.BackendRefs is not null)
            checks.Warning(path, "the rule has no backendRefs and no requestRedirect, so matching requests get 500");
    }

    /// <summary>
    /// Weighted backends (HttpRoute and TcpRoute rules): each names a known service and version, weights are
    /// relative (0 to <see cref="MaxWeight"/>, not all 0), none repeats. False when the list is too long to check.
    /// </summary>
    public static bool WeightedBackends(Checks checks, string path, IReadOnlyList<BackendRef>? backendRefs, string ns)
    {
        if (!checks.MaxItems(path, backendRefs, MaxBackendRefs))
            return false;
        checks.Each(path, backendRefs, (backendPath, backend) =>
        {
            checks.Backend(backendPath, backend, ns);
            if (backend.Weight < 0)
                checks.Error($"{backendPath}.weight", $"must not be negative, was {backend.Weight}");
            else if (backend.Weight > MaxWeight)
                checks.Error($"{backendPath}.weight", $"must be at most {MaxWeight}, was {backend.Weight}");
        });
        checks.NoDuplicates(path, backendRefs, b => $"{b.Namespace ?? ns}/{b.Service}/{b.Version ?? "*"}", "", "backend");
        var backends = (backendRefs ?? []).Where(b => b is not null).ToList();
        if (backends.Count > 0 && backends.All(b => b.Weight == 0))
            checks.Error(path, "every weight is 0, so the rule sends no traffic; give at least one backend a positive weight");
        return true;
    }

    private static void CheckFault(Checks checks, string path, FaultInjection fault)
    {
        if (fault.Delay is null && fault.Abort is null)
            checks.Error(path, "set delay, abort or both; an empty fault injects nothing");
        if (fault.Delay is { } delay)
        {
            checks.PositiveDuration($"{path}.delay.fixedDelay", delay.FixedDelay, TimeSpan.FromHours(1));
            checks.Percent($"{path}.delay.percent", delay.Percent);
        }
        if (fault.Abort is { } abort)
        {
            if (abort.HttpStatus is < 200 or > 599)
                checks.Error($"{path}.abort.httpStatus", $"must be an HTTP status between 200 and 599, was {abort.HttpStatus}");
            checks.Percent($"{path}.abort.percent", abort.Percent);
        }
    }

    private static string Camel(HttpRouteFilterType type)
    {
        var name = type.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}
