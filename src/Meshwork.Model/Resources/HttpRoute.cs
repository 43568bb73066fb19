namespace Meshwork.Model.Resources;

/// <summary>
/// Kubernetes Gateway API HTTPRoute semantics: ordered rules, each with matches (any may match),
/// filters, weighted backends and timeouts; plus Istio-style fault injection per rule.
/// </summary>
public sealed record HttpRoute : Resource
{
    public override ResourceKind Kind => ResourceKind.HttpRoute;

    /// <summary>
    /// What the route attaches to: a Service (mesh, east/west: it governs calls addressed to that
    /// service, as in GAMMA) or a Gateway (north/south, matched by <see cref="Hostnames"/>).
    /// </summary>
    public IReadOnlyList<ParentRef> ParentRefs { get; init; } = [];

    /// <summary>Host names the route answers for; empty means any.</summary>
    public IReadOnlyList<string> Hostnames { get; init; } = [];

    public IReadOnlyList<HttpRouteRule> Rules { get; init; } = [];
}

public sealed record ParentRef
{
    public ParentKind Kind { get; init; } = ParentKind.Service;
    public required string Name { get; init; }
    public string? Namespace { get; init; }
}

public enum ParentKind
{
    Service,
    Gateway,
}

public sealed record HttpRouteRule
{
    /// <summary>Optional name, shown in metrics and the portal.</summary>
    public string? Name { get; init; }

    /// <summary>Any one match selects the rule; no matches means "prefix /".</summary>
    public IReadOnlyList<HttpRouteMatch> Matches { get; init; } = [];

    public IReadOnlyList<HttpRouteFilter> Filters { get; init; } = [];
    public IReadOnlyList<BackendRef> BackendRefs { get; init; } = [];
    public RouteTimeouts? Timeouts { get; init; }
    public FaultInjection? Fault { get; init; }
}

/// <summary>All conditions of one match must hold.</summary>
public sealed record HttpRouteMatch
{
    public PathMatch? Path { get; init; }
    public string? Method { get; init; }
    public IReadOnlyList<HeaderMatch> Headers { get; init; } = [];
    public IReadOnlyList<QueryParamMatch> QueryParams { get; init; } = [];
}

public sealed record PathMatch
{
    public PathMatchType Type { get; init; } = PathMatchType.PathPrefix;
    public string Value { get; init; } = "/";
}

public enum PathMatchType
{
    Exact,
    PathPrefix,
    RegularExpression,
}

public sealed record HeaderMatch
{
    public StringMatchType Type { get; init; } = StringMatchType.Exact;
    public required string Name { get; init; }
    public required string Value { get; init; }
}

public sealed record QueryParamMatch
{
    public StringMatchType Type { get; init; } = StringMatchType.Exact;
    public required string Name { get; init; }
    public required string Value { get; init; }
}

public enum StringMatchType
{
    Exact,
    RegularExpression,
}

/// <summary>One filter; exactly the property named by <see cref="Type"/> is set.</summary>
public sealed record HttpRouteFilter
{
    public required HttpRouteFilterType Type { get; init; }
    public HeaderModifier? RequestHeaderModifier { get; init; }
    public HeaderModifier? ResponseHeaderModifier { get; init; }
    public UrlRewrite? UrlRewrite { get; init; }
    public RequestRedirect? RequestRedirect { get; init; }
    public RequestMirror? RequestMirror { get; init; }
}

public enum HttpRouteFilterType
{
    RequestHeaderModifier,
    ResponseHeaderModifier,
    UrlRewrite,
    RequestRedirect,
    RequestMirror,
}

public sealed record HeaderModifier
{
    public IReadOnlyList<HttpHeader> Set { get; init; } = [];
    public IReadOnlyList<HttpHeader> Add { get; init; } = [];
    public IReadOnlyList<string> Remove { get; init; } = [];
}

public sealed record HttpHeader
{
    public required string Name { get; init; }
    public required string Value { get; init; }
}

public sealed record UrlRewrite
{
    public string? Hostname { get; init; }
    public PathModifier? Path { get; init; }
}

public sealed record PathModifier
{
    public required PathModifierType Type { get; init; }

    /// <summary>The full path (ReplaceFullPath) or the prefix replacing the matched one (ReplacePrefixMatch).</summary>
    public required string Value { get; init; }
}

public enum PathModifierType
{
    ReplaceFullPath,
    ReplacePrefixMatch,
}

public sealed record RequestRedirect
{
    public string? Scheme { get; init; }
    public string? Hostname { get; init; }
    public PathModifier? Path { get; init; }
    public int? Port { get; init; }
    public int StatusCode { get; init; } = 302;
}

/// <summary>Copy a share of requests to another backend, fire-and-forget; the response is never affected.</summary>
public sealed record RequestMirror
{
    public required BackendRef BackendRef { get; init; }
    public double Percent { get; init; } = 100;
}

/// <summary>A weighted destination: a service, optionally narrowed to one of its versions.</summary>
public sealed record BackendRef
{
    public required string Service { get; init; }
    public string? Namespace { get; init; }
    public string? Version { get; init; }

    /// <summary>Relative weight (Gateway API default 1); 0 sends nothing.</summary>
    public int Weight { get; init; } = 1;
}

public sealed record RouteTimeouts
{
    /// <summary>Whole request including retries (Gateway API timeouts.request).</summary>
    public TimeSpan? Request { get; init; }

    /// <summary>Each attempt to a backend (Gateway API timeouts.backendRequest).</summary>
    public TimeSpan? BackendRequest { get; init; }
}

/// <summary>Istio VirtualService fault injection, for testing resilience.</summary>
public sealed record FaultInjection
{
    public FaultDelay? Delay { get; init; }
    public FaultAbort? Abort { get; init; }
}

public sealed record FaultDelay
{
    public required TimeSpan FixedDelay { get; init; }
    public double Percent { get; init; } = 100;
}

public sealed record FaultAbort
{
    public required int HttpStatus { get; init; }
    public double Percent { get; init; } = 100;
}
