using CsCheck;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Interop;

/// <summary>
/// Valid resources made only of what both Meshwork and the target format can say: a route's rules
/// each own one path segment (/s0, /s1, ...) and a catch-all comes last, so declaration order and
/// Gateway API precedence agree, as they do in routes people write. Durations have millisecond
/// precision, as Gateway API and Istio durations do.
/// </summary>
internal static class InteropGen
{
    private static readonly Gen<string> Name = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz"], 1, 8];
    private static readonly Gen<TimeSpan> Millis = Gen.Int[1, 3_600_000].Select(ms => TimeSpan.FromMilliseconds(ms));
    private static readonly Gen<double> Percent = Gen.OneOf(Gen.Int[0, 100].Select(i => (double)i), Gen.Double[0, 100]);

    private static readonly Gen<IReadOnlyDictionary<string, string>> Labels =
        Gen.Dictionary(Gen.String[Gen.Char["abcxyz"], 1, 6], Gen.String[Gen.Char["abc123"], 1, 6])[0, 2].Select(d => (IReadOnlyDictionary<string, string>)d);

    private static Gen<HttpRouteMatch> Match(int segment, bool withPath) =>
        Gen.Select(
            Gen.Int[0, 2], Gen.OneOf<string?>("GET", "POST", null),
            Gen.Select(Gen.Int[0, 2], Gen.Bool).Select((n, regex) => Enumerable.Range(0, n)
                .Select(i => new HeaderMatch { Name = $"x-h{i}", Type = regex ? StringMatchType.RegularExpression : StringMatchType.Exact, Value = regex ? "[a-z]+" : $"v{i}" }).ToList()),
            Gen.Bool)
            .Select((kind, method, headers, query) => new HttpRouteMatch
            {
                Path = !withPath ? null : kind switch
                {
                    0 => new PathMatch { Type = PathMatchType.Exact, Value = $"/s{segment}/x" },
                    1 => new PathMatch { Type = PathMatchType.PathPrefix, Value = $"/s{segment}" },
                    _ => new PathMatch { Type = PathMatchType.RegularExpression, Value = $"/s{segment}/[0-9]+" },
                },
                Method = method,
                Headers = headers,
                QueryParams = query ? [new QueryParamMatch { Name = "q", Value = "1" }] : [],
            });

    private static readonly Gen<HeaderModifier> Modifier =
        Gen.Select(Gen.Int[0, 2], Gen.Bool, Gen.Bool)
            .Where((set, add, remove) => set > 0 || add || remove)
            .Select((set, add, remove) => new HeaderModifier
            {
                Set = Enumerable.Range(0, set).Select(i => new HttpHeader { Name = $"x-set{i}", Value = $"s{i}" }).ToList(),
                Add = add ? [new HttpHeader { Name = "x-add", Value = "a" }] : [],
                Remove = remove ? ["x-gone"] : [],
            });

    private static Gen<List<HttpRouteFilter>> Filters =>
        Gen.Select(Modifier.Null(0.5), Modifier.Null(0.5), Gen.Int[0, 100].Nullable(0.5))
            .Select((request, response, mirror) =>
            {
                var filters = new List<HttpRouteFilter>();
                if (request is not null)
                    filters.Add(new() { Type = HttpRouteFilterType.RequestHeaderModifier, RequestHeaderModifier = request });
                if (response is not null)
                    filters.Add(new() { Type = HttpRouteFilterType.ResponseHeaderModifier, ResponseHeaderModifier = response });
                if (mirror is { } percent)
                    filters.Add(new() { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new() { BackendRef = new() { Service = "shadow" }, Percent = percent } });
                return filters;
            });

    /// <summary>Istio: backends are versions of one service; Gateway API: services (it has no versions).</summary>
    private static Gen<List<BackendRef>> Backends(bool istio) =>
        Gen.Int[1, 100].Array[1, 3].Select(weights => weights.Select((w, i) => istio
            ? new BackendRef { Service = "svc", Version = $"v{i + 1}", Weight = w }
            : new BackendRef { Service = i == 0 ? "svc" : $"svc{i}", Weight = w }).ToList());

    private static readonly Gen<FaultInjection> Fault =
        Gen.Select(Millis, Percent, Gen.Int[200, 599], Percent, Gen.Int[0, 2])
            .Select((delay, delayPercent, status, abortPercent, which) => new FaultInjection
            {
                Delay = which != 1 ? new FaultDelay { FixedDelay = delay, Percent = delayPercent } : null,
                Abort = which != 0 ? new FaultAbort { HttpStatus = status, Percent = abortPercent } : null,
            });

    private static Gen<HttpRouteRule> Rule(int segment, bool istio, bool last) =>
        Gen.Select(Match(segment, withPath: !last).Array[last ? 0 : 1, 2], Filters, Backends(istio), Millis.Nullable(0.5), Millis.Nullable(0.5), Fault.Null(istio ? 0.6 : 1.0), Name.Null(0.5))
            .Select((matches, filters, backends, request, backendRequest, fault, name) => new HttpRouteRule
            {
                Name = name is null ? null : $"{name}-{segment}",
                Matches = matches,
                Filters = filters,
                BackendRefs = backends,
                // Istio applies no timeout to a route with a fault and has no per-backend timeout outside retries.
                Timeouts = request is null || fault is not null ? null
                    : istio ? new RouteTimeouts { Request = request }
                    : new RouteTimeouts { Request = request, BackendRequest = backendRequest is { } b && b <= request ? b : null },
                Fault = fault,
            });

    public static Gen<HttpRoute> Route(bool istio) =>
        Gen.Select(Gen.Select(Name, Labels, Gen.Int[0, 3], Gen.Bool, Gen.Int[0, 2]), Rule(0, istio, false), Rule(1, istio, false), Rule(2, istio, false), Rule(3, istio, true))
            .Select((shape, r0, r1, r2, catchAll) => new HttpRoute
            {
                Metadata = new ResourceMetadata { Name = shape.Item1, Labels = shape.Item2 },
                ParentRefs = shape.Item4 ? [new ParentRef { Kind = ParentKind.Gateway, Name = "edge", Namespace = "gateways" }] : [new ParentRef { Name = "svc" }],
                Hostnames = shape.Item4 ? Enumerable.Range(0, shape.Item5).Select(h => $"h{h}.example.com").ToList() : [],
                Rules = new[] { r0, r1, r2 }.Take(shape.Item3).Append(catchAll).ToList(),
            });

    /// <summary>A TcpRoute: one rule of weighted versions, of a service in the route's namespace or another.</summary>
    public static readonly Gen<TcpRoute> TcpRoute =
        Gen.Select(Name, Labels, Gen.Int[1, 65535], Backends(istio: true), Gen.Bool)
            .Select((name, labels, port, backends, elsewhere) => new TcpRoute
            {
                Metadata = new ResourceMetadata { Name = name, Labels = labels },
                Service = "svc",
                Port = port,
                Rules = [new TcpRouteRule { BackendRefs = elsewhere ? backends.Select(b => b with { Namespace = "other" }).ToList() : backends }],
            });

    public static readonly Gen<AccessPolicy> AccessPolicy =
        Gen.Select(Name, Gen.Enum<AccessAction>(), Gen.Bool, AccessRule.Array[0, 2])
            .Select((name, action, whole, rules) => new AccessPolicy
            {
                Metadata = new ResourceMetadata { Name = name },
                Service = whole ? null : "svc",
                Action = action,
                Rules = rules,
            });

    private static Gen<AccessRule> AccessRule =>
        Gen.Select(
            Gen.Select(Name.Array[0, 2], Name.Array[0, 2]).Select((callers, namespaces) => new AccessSource
            {
                Principals = callers.Distinct().Select(c => $"spiffe://cluster.local/ns/default/sa/{c}").ToList(),
                Namespaces = namespaces.Distinct().ToList(),
            }).Array[0, 2],
            Gen.Select(Gen.OneOf("GET", "POST", "*").Array[0, 2], Name.Array[0, 2]).Select((methods, paths) => new AccessOperation
            {
                Methods = methods.Distinct().ToList(),
                Paths = paths.Distinct().Select(p => $"/{p}/*").ToList(),
                NotPaths = paths.Distinct().Select(p => $"/{p}/admin").ToList(),
            }).Array[0, 2],
            Name.Array[0, 1].Select(headers => headers.Select(h => new AccessCondition { Header = $"x-{h}", Values = [h] }).ToArray()))
            .Select((from, to, when) => new AccessRule { From = from, To = to, When = when });

    /// <summary>A service with versions and its resilience policy: one Istio DestinationRule.</summary>
    public static readonly Gen<(Service Service, ResiliencePolicy Policy)> ServiceAndPolicy =
        Gen.Select(Name, Gen.Int[1, 3], Gen.Enum<LoadBalancingPolicy>(), Gen.Int[1, 10_000].Nullable(0.5), Millis, Gen.Int[1, 20], Gen.Int[0, 100])
            .Select((name, versions, lb, limit, duration, errors, ejection) => (
                new Service
                {
                    Metadata = new ResourceMetadata { Name = "svc" },
                    Versions = Enumerable.Range(1, versions).Select(v => new ServiceVersion { Name = $"v{v}", Labels = new Dictionary<string, string> { ["version"] = $"v{v}" } }).ToList(),
                },
                new ResiliencePolicy
                {
                    Metadata = new ResourceMetadata { Name = name },
                    Service = "svc",
                    LoadBalancer = new LoadBalancerSettings { Policy = lb, HashHeader = lb == LoadBalancingPolicy.ConsistentHash ? "x-user" : null },
                    ConnectionPool = limit is null ? null : new ConnectionPoolSettings
                    {
                        MaxConnections = limit.Value, MaxPendingRequests = limit.Value, MaxRequests = limit.Value,
                        MaxRequestsPerConnection = limit.Value % 7, ConnectTimeout = TimeSpan.FromMilliseconds(Math.Min(duration.TotalMilliseconds, 300_000)), IdleTimeout = duration, TcpIdleTimeout = duration,
                    },
                    OutlierDetection = new OutlierDetection { Consecutive5xxErrors = errors, Interval = duration, BaseEjectionTime = duration, MaxEjectionPercent = ejection },
                }));
}
