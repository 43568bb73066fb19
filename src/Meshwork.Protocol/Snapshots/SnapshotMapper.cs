using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Model.Resources;
using M = Meshwork.Model.Snapshots;

namespace Meshwork.Protocol.Snapshots;

/// <summary>
/// Maps between the Model's snapshot records (what the compiler produces and the proxy serves) and
/// the snapshot.proto messages (what the control plane streams and the snapshot file holds).
/// Lossless both ways: Model -> proto -> Model gives an equal snapshot with the same hash.
/// </summary>
public static class SnapshotMapper
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithIndentation().WithFormatDefaultValues(false));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    /// <summary>The snapshot file form: the proto3 JSON mapping.</summary>
    public static string ToJson(ProxySnapshot snapshot) => Formatter.Format(snapshot);

    /// <summary>Parses the file form; throws <see cref="InvalidProtocolBufferException"/> or <see cref="InvalidJsonException"/> on bad input.</summary>
    public static ProxySnapshot FromJson(string json) => Parser.Parse<ProxySnapshot>(json);

    public static string ToJson(M.ProxySnapshot snapshot) => ToJson(ToProto(snapshot));

    // ---------------- Model -> proto ----------------

    public static ProxySnapshot ToProto(M.ProxySnapshot s)
    {
        var p = new ProxySnapshot
        {
            Version = s.Version,
            Hash = s.Hash,
            PathNormalization = s.PathNormalization.ToString(),
            Identity = new Identity
            {
                ProxyId = s.Identity.ProxyId,
                Service = s.Identity.Service,
                Namespace = s.Identity.Namespace,
                Version = s.Identity.Version,
                SpiffeId = s.Identity.SpiffeId,
                TrustDomain = s.Identity.TrustDomain,
            },
            Inbound = new Inbound
            {
                AppCluster = s.Inbound.AppCluster,
                DefaultMode = s.Inbound.DefaultMode.ToString(),
                RateLimit = s.Inbound.RateLimit is { } rl ? new RateLimit { MaxTokens = rl.MaxTokens, TokensPerFill = rl.TokensPerFill, FillInterval = D(rl.FillInterval) } : null,
                TcpIdleTimeout = D(s.Inbound.TcpIdleTimeout),
            },
        };
        p.Listeners.AddRange(s.Listeners.Select(l => new Listener { Name = l.Name, Kind = (ListenerKind)(int)l.Kind, Port = l.Port, Tls = l.Tls }));
        p.VirtualHosts.AddRange(s.VirtualHosts.Select(ToProto));
        p.TcpListeners.AddRange(s.TcpListeners.Select(ToProto));
        p.Clusters.AddRange(s.Clusters.Select(ToProto));
        p.Inbound.Policies.AddRange(s.Inbound.Policies.Select(ToProto));
        if (s.Certificates is { } c)
            p.Certificates = new Certificates { CertificateChainPem = c.CertificateChainPem, PrivateKeyPem = c.PrivateKeyPem, TrustBundlePem = c.TrustBundlePem };
        return p;
    }

    private static TcpListener ToProto(M.TcpRouteListener l)
    {
        var p = new TcpListener { RouteName = l.RouteName, Port = l.Port };
        p.Backends.AddRange(l.Backends.Select(b => new WeightedCluster { Cluster = b.Cluster, Weight = b.Weight }));
        return p;
    }

    private static VirtualHost ToProto(M.VirtualHost v)
    {
        var p = new VirtualHost { Name = v.Name, Listener = (ListenerKind)(int)v.Listener };
        p.Domains.AddRange(v.Domains);
        p.Rules.AddRange(v.Rules.Select(ToProto));
        return p;
    }

    private static Rule ToProto(M.CompiledRule r)
    {
        var p = new Rule
        {
            RouteName = r.RouteName,
            RequestTimeout = D(r.RequestTimeout),
            BackendRequestTimeout = D(r.BackendRequestTimeout),
        };
        p.Matches.AddRange(r.Matches.Select(ToProto));
        p.Filters.AddRange(r.Filters.Select(ToProto));
        p.Backends.AddRange(r.Backends.Select(b => new WeightedCluster { Cluster = b.Cluster, Weight = b.Weight }));
        p.Mirrors.AddRange(r.Mirrors.Select(m => new Mirror { Cluster = m.Cluster, Percent = m.Percent }));
        if (r.Fault is { } f)
        {
            p.Fault = new Fault
            {
                Delay = f.Delay is { } d ? new FaultDelay { FixedDelay = D(d.FixedDelay), Percent = d.Percent } : null,
                Abort = f.Abort is { } a ? new FaultAbort { HttpStatus = a.HttpStatus, Percent = a.Percent } : null,
            };
        }
        return p;
    }

    private static RouteMatch ToProto(HttpRouteMatch m)
    {
        var p = new RouteMatch
        {
            Path = m.Path is { } path ? new PathMatch { Type = path.Type.ToString(), Value = path.Value } : null,
            Method = m.Method ?? "",
        };
        p.Headers.AddRange(m.Headers.Select(h => new StringMatch { Type = h.Type.ToString(), Name = h.Name, Value = h.Value }));
        p.QueryParams.AddRange(m.QueryParams.Select(q => new StringMatch { Type = q.Type.ToString(), Name = q.Name, Value = q.Value }));
        return p;
    }

    private static RouteFilter ToProto(HttpRouteFilter f) => new()
    {
        Type = f.Type.ToString(),
        RequestHeaderModifier = ToProto(f.RequestHeaderModifier),
        ResponseHeaderModifier = ToProto(f.ResponseHeaderModifier),
        UrlRewrite = f.UrlRewrite is { } u ? ToProto(u) : null,
        RequestRedirect = f.RequestRedirect is { } r ? ToProto(r) : null,
    };

    private static UrlRewrite ToProto(Model.Resources.UrlRewrite u)
    {
        var p = new UrlRewrite { Path = ToProto(u.Path) };
        if (u.Hostname is not null) p.Hostname = u.Hostname;
        return p;
    }

    private static Redirect ToProto(RequestRedirect r)
    {
        var p = new Redirect { Path = ToProto(r.Path), StatusCode = r.StatusCode };
        if (r.Scheme is not null) p.Scheme = r.Scheme;
        if (r.Hostname is not null) p.Hostname = r.Hostname;
        if (r.Port is { } port) p.Port = port;
        return p;
    }

    private static HeaderModifier? ToProto(Model.Resources.HeaderModifier? h)
    {
        if (h is null)
            return null;
        var p = new HeaderModifier();
        p.Set.AddRange(h.Set.Select(x => new Header { Name = x.Name, Value = x.Value }));
        p.Add.AddRange(h.Add.Select(x => new Header { Name = x.Name, Value = x.Value }));
        p.Remove.AddRange(h.Remove);
        return p;
    }

    private static PathModifier? ToProto(Model.Resources.PathModifier? m) =>
        m is null ? null : new PathModifier { Type = m.Type.ToString(), Value = m.Value };

    private static Cluster ToProto(M.SnapshotCluster c)
    {
        var p = new Cluster
        {
            Name = c.Name,
            Service = c.Service,
            Namespace = c.Namespace,
            Version = c.Version,
            MeshTls = c.MeshTls,
            Settings = ToProto(c.Settings),
        };
        p.Endpoints.AddRange(c.Endpoints.Select(e => new Endpoint { InstanceId = e.InstanceId, Address = e.Address, Health = (EndpointHealth)(int)e.Health, Version = e.Version }));
        return p;
    }

    private static ClientSettings ToProto(M.ClientSettings s)
    {
        var p = new ClientSettings
        {
            LoadBalancer = new LoadBalancer { Policy = s.LoadBalancer.Policy.ToString(), HashHeader = s.LoadBalancer.HashHeader ?? "" },
        };
        if (s.Retries is { } r)
        {
            p.Retries = new Retries
            {
                Attempts = r.Attempts,
                PerTryTimeout = D(r.PerTryTimeout),
                BackoffBase = D(r.BackoffBase),
                BackoffMax = D(r.BackoffMax),
                BudgetPercent = r.Budget.BudgetPercent,
                MinRetryConcurrency = r.Budget.MinRetryConcurrency,
            };
            p.Retries.RetryOn.AddRange(r.RetryOn);
            p.Retries.RetriableStatusCodes.AddRange(r.RetriableStatusCodes);
        }
        if (s.ConnectionPool is { } cp)
        {
            p.ConnectionPool = new ConnectionPool
            {
                MaxConnections = cp.MaxConnections,
                MaxPendingRequests = cp.MaxPendingRequests,
                MaxRequests = cp.MaxRequests,
                MaxRequestsPerConnection = cp.MaxRequestsPerConnection,
                ConnectTimeout = D(cp.ConnectTimeout),
                IdleTimeout = D(cp.IdleTimeout),
                TcpIdleTimeout = D(cp.TcpIdleTimeout),
            };
        }
        if (s.OutlierDetection is { } o)
        {
            p.OutlierDetection = new OutlierDetection
            {
                Consecutive5XxErrors = o.Consecutive5xxErrors,
                Interval = D(o.Interval),
                BaseEjectionTime = D(o.BaseEjectionTime),
                MaxEjectionPercent = o.MaxEjectionPercent,
            };
        }
        if (s.HealthCheck is { } h)
        {
            p.HealthCheck = new HealthCheck
            {
                Path = h.Path,
                Interval = D(h.Interval),
                Timeout = D(h.Timeout),
                UnhealthyThreshold = h.UnhealthyThreshold,
                HealthyThreshold = h.HealthyThreshold,
            };
        }
        return p;
    }

    private static AccessPolicy ToProto(Model.Resources.AccessPolicy a)
    {
        var p = new AccessPolicy
        {
            Name = a.Metadata.Name,
            Namespace = a.Metadata.Namespace,
            Service = a.Service ?? "",
            Action = a.Action.ToString(),
        };
        foreach (var rule in a.Rules)
        {
            var pr = new AccessRule();
            foreach (var from in rule.From)
            {
                var ps = new AccessSource();
                ps.Principals.AddRange(from.Principals);
                ps.Services.AddRange(from.Services);
                ps.Namespaces.AddRange(from.Namespaces);
                pr.From.Add(ps);
            }
            foreach (var to in rule.To)
            {
                var po = new AccessOperation();
                po.Methods.AddRange(to.Methods);
                po.Paths.AddRange(to.Paths);
                po.NotPaths.AddRange(to.NotPaths);
                pr.To.Add(po);
            }
            foreach (var when in rule.When)
            {
                var pc = new AccessCondition { Header = when.Header };
                pc.Values.AddRange(when.Values);
                pr.When.Add(pc);
            }
            p.Rules.Add(pr);
        }
        return p;
    }

    private static Duration? D(TimeSpan? value) => value is { } v ? Duration.FromTimeSpan(v) : null;

    // ---------------- proto -> Model ----------------

    /// <summary>Throws <see cref="SnapshotFormatException"/> naming the field when the message does not map (unknown enum text, missing identity).</summary>
    public static M.ProxySnapshot ToModel(ProxySnapshot p)
    {
        if (p.Identity is null)
            throw new SnapshotFormatException("identity: required");
        return new M.ProxySnapshot
        {
            Version = p.Version,
            Hash = p.Hash,
            Identity = new M.SnapshotIdentity
            {
                ProxyId = p.Identity.ProxyId,
                Service = p.Identity.Service,
                Namespace = p.Identity.Namespace,
                Version = p.Identity.Version,
                SpiffeId = p.Identity.SpiffeId,
                TrustDomain = p.Identity.TrustDomain,
            },
            Listeners = p.Listeners.Select(l => new M.SnapshotListener { Name = l.Name, Kind = Kind(l.Kind, "listeners"), Port = l.Port, Tls = l.Tls }).ToArray(),
            VirtualHosts = p.VirtualHosts.Select(ToModel).ToArray(),
            TcpListeners = p.TcpListeners.Select(l => new M.TcpRouteListener
            {
                RouteName = l.RouteName,
                Port = l.Port,
                Backends = l.Backends.Select(b => new M.WeightedCluster { Cluster = b.Cluster, Weight = b.Weight }).ToArray(),
            }).ToArray(),
            Clusters = p.Clusters.Select(ToModel).ToArray(),
            Inbound = new M.InboundSettings
            {
                AppCluster = p.Inbound?.AppCluster ?? "",
                DefaultMode = p.Inbound is null ? AccessMode.Permissive : Enum<AccessMode>(p.Inbound.DefaultMode, "inbound.defaultMode", AccessMode.Permissive),
                Policies = p.Inbound?.Policies.Select(ToModel).ToArray() ?? [],
                RateLimit = p.Inbound?.RateLimit is { } rl
                    ? new LocalRateLimit { MaxTokens = rl.MaxTokens, TokensPerFill = rl.TokensPerFill, FillInterval = T(rl.FillInterval) ?? TimeSpan.FromSeconds(1) }
                    : null,
                TcpIdleTimeout = T(p.Inbound?.TcpIdleTimeout) ?? ConnectionPoolSettings.DefaultTcpIdleTimeout,
            },
            Certificates = p.Certificates is { } c
                ? new M.SnapshotCertificates { CertificateChainPem = c.CertificateChainPem, PrivateKeyPem = c.PrivateKeyPem, TrustBundlePem = c.TrustBundlePem }
                : null,
            PathNormalization = Enum<PathNormalization>(p.PathNormalization, "pathNormalization", PathNormalization.MergeSlashes),
        };
    }

    private static M.ListenerKind Kind(ListenerKind kind, string path) =>
        System.Enum.IsDefined((M.ListenerKind)(int)kind) ? (M.ListenerKind)(int)kind : throw new SnapshotFormatException($"{path}: unknown listener kind {kind}");

    private static M.VirtualHost ToModel(VirtualHost v) => new()
    {
        Name = v.Name,
        Listener = Kind(v.Listener, $"virtualHosts[{v.Name}].listener"),
        Domains = v.Domains.ToArray(),
        Rules = v.Rules.Select(r => ToModel(r, v.Name)).ToArray(),
    };

    private static M.CompiledRule ToModel(Rule r, string host)
    {
        var path = $"virtualHosts[{host}].rules[{r.RouteName}]";
        return new M.CompiledRule
        {
            RouteName = r.RouteName,
            Matches = r.Matches.Select(m => ToModel(m, path)).ToArray(),
            Filters = r.Filters.Select(f => ToModel(f, path)).ToArray(),
            Backends = r.Backends.Select(b => new M.WeightedCluster { Cluster = b.Cluster, Weight = b.Weight }).ToArray(),
            Mirrors = r.Mirrors.Select(m => new M.MirrorTarget { Cluster = m.Cluster, Percent = m.Percent }).ToArray(),
            RequestTimeout = T(r.RequestTimeout),
            BackendRequestTimeout = T(r.BackendRequestTimeout),
            Fault = r.Fault is { } f
                ? new Model.Resources.FaultInjection
                {
                    Delay = f.Delay is { } d ? new Model.Resources.FaultDelay { FixedDelay = T(d.FixedDelay) ?? TimeSpan.Zero, Percent = d.Percent } : null,
                    Abort = f.Abort is { } a ? new Model.Resources.FaultAbort { HttpStatus = a.HttpStatus, Percent = a.Percent } : null,
                }
                : null,
        };
    }

    private static HttpRouteMatch ToModel(RouteMatch m, string path) => new()
    {
        Path = m.Path is { } p ? new Model.Resources.PathMatch { Type = Enum<PathMatchType>(p.Type, path + ".path.type"), Value = p.Value } : null,
        Method = m.Method.Length == 0 ? null : m.Method,
        Headers = m.Headers.Select(h => new HeaderMatch { Type = Enum<StringMatchType>(h.Type, path + ".headers.type"), Name = h.Name, Value = h.Value }).ToArray(),
        QueryParams = m.QueryParams.Select(q => new QueryParamMatch { Type = Enum<StringMatchType>(q.Type, path + ".queryParams.type"), Name = q.Name, Value = q.Value }).ToArray(),
    };

    private static HttpRouteFilter ToModel(RouteFilter f, string path) => new()
    {
        Type = Enum<HttpRouteFilterType>(f.Type, path + ".filters.type"),
        RequestHeaderModifier = ToModel(f.RequestHeaderModifier),
        ResponseHeaderModifier = ToModel(f.ResponseHeaderModifier),
        UrlRewrite = f.UrlRewrite is { } u ? new Model.Resources.UrlRewrite { Hostname = u.HasHostname ? u.Hostname : null, Path = ToModel(u.Path, path) } : null,
        RequestRedirect = f.RequestRedirect is { } r
            ? new RequestRedirect
            {
                Scheme = r.HasScheme ? r.Scheme : null,
                Hostname = r.HasHostname ? r.Hostname : null,
                Port = r.HasPort ? r.Port : null,
                Path = ToModel(r.Path, path),
                StatusCode = r.StatusCode,
            }
            : null,
    };

    private static Model.Resources.HeaderModifier? ToModel(HeaderModifier? h) => h is null
        ? null
        : new Model.Resources.HeaderModifier
        {
            Set = h.Set.Select(x => new HttpHeader { Name = x.Name, Value = x.Value }).ToArray(),
            Add = h.Add.Select(x => new HttpHeader { Name = x.Name, Value = x.Value }).ToArray(),
            Remove = h.Remove.ToArray(),
        };

    private static Model.Resources.PathModifier? ToModel(PathModifier? m, string path) =>
        m is null ? null : new Model.Resources.PathModifier { Type = Enum<PathModifierType>(m.Type, path + ".path.type"), Value = m.Value };

    private static M.SnapshotCluster ToModel(Cluster c) => new()
    {
        Name = c.Name,
        Service = c.Service,
        Namespace = c.Namespace,
        Version = c.Version,
        MeshTls = c.MeshTls,
        Endpoints = c.Endpoints.Select(e => new M.SnapshotEndpoint
        {
            InstanceId = e.InstanceId,
            Address = e.Address,
            Version = e.Version,
            Health = System.Enum.IsDefined((InstanceHealth)(int)e.Health) ? (InstanceHealth)(int)e.Health : throw new SnapshotFormatException($"clusters[{c.Name}].endpoints.health: unknown {e.Health}"),
        }).ToArray(),
        Settings = ToModel(c.Settings ?? new ClientSettings(), $"clusters[{c.Name}].settings"),
    };

    private static M.ClientSettings ToModel(ClientSettings s, string path) => new()
    {
        Retries = s.Retries is { } r
            ? new RetryPolicy
            {
                Attempts = r.Attempts,
                PerTryTimeout = T(r.PerTryTimeout),
                RetryOn = r.RetryOn.ToArray(),
                RetriableStatusCodes = r.RetriableStatusCodes.ToArray(),
                BackoffBase = T(r.BackoffBase) ?? TimeSpan.Zero,
                BackoffMax = T(r.BackoffMax) ?? TimeSpan.Zero,
                Budget = new RetryBudget { BudgetPercent = r.BudgetPercent, MinRetryConcurrency = r.MinRetryConcurrency },
            }
            : null,
        ConnectionPool = s.ConnectionPool is { } cp
            ? new ConnectionPoolSettings
            {
                MaxConnections = cp.MaxConnections,
                MaxPendingRequests = cp.MaxPendingRequests,
                MaxRequests = cp.MaxRequests,
                MaxRequestsPerConnection = cp.MaxRequestsPerConnection,
                ConnectTimeout = T(cp.ConnectTimeout) ?? TimeSpan.Zero,
                IdleTimeout = T(cp.IdleTimeout) ?? TimeSpan.Zero,
                TcpIdleTimeout = T(cp.TcpIdleTimeout) ?? ConnectionPoolSettings.DefaultTcpIdleTimeout,
            }
            : null,
        OutlierDetection = s.OutlierDetection is { } o
            ? new Model.Resources.OutlierDetection
            {
                Consecutive5xxErrors = o.Consecutive5XxErrors,
                Interval = T(o.Interval) ?? TimeSpan.Zero,
                BaseEjectionTime = T(o.BaseEjectionTime) ?? TimeSpan.Zero,
                MaxEjectionPercent = o.MaxEjectionPercent,
            }
            : null,
        HealthCheck = s.HealthCheck is { } h
            ? new ActiveHealthCheck
            {
                Path = h.Path,
                Interval = T(h.Interval) ?? TimeSpan.Zero,
                Timeout = T(h.Timeout) ?? TimeSpan.Zero,
                UnhealthyThreshold = h.UnhealthyThreshold,
                HealthyThreshold = h.HealthyThreshold,
            }
            : null,
        LoadBalancer = s.LoadBalancer is { } lb
            ? new LoadBalancerSettings
            {
                Policy = Enum<LoadBalancingPolicy>(lb.Policy, path + ".loadBalancer.policy", LoadBalancingPolicy.LeastRequest),
                HashHeader = lb.HashHeader.Length == 0 ? null : lb.HashHeader,
            }
            : new LoadBalancerSettings(),
    };

    private static Model.Resources.AccessPolicy ToModel(AccessPolicy p) => new()
    {
        Metadata = new ResourceMetadata { Name = p.Name, Namespace = p.Namespace },
        Service = p.Service.Length == 0 ? null : p.Service,
        Action = Enum<AccessAction>(p.Action, $"inbound.policies[{p.Name}].action", AccessAction.Allow),
        Rules = p.Rules.Select(r => new Model.Resources.AccessRule
        {
            From = r.From.Select(f => new Model.Resources.AccessSource { Principals = f.Principals.ToArray(), Services = f.Services.ToArray(), Namespaces = f.Namespaces.ToArray() }).ToArray(),
            To = r.To.Select(t => new Model.Resources.AccessOperation { Methods = t.Methods.ToArray(), Paths = t.Paths.ToArray(), NotPaths = t.NotPaths.ToArray() }).ToArray(),
            When = r.When.Select(w => new Model.Resources.AccessCondition { Header = w.Header, Values = w.Values.ToArray() }).ToArray(),
        }).ToArray(),
    };

    private static TimeSpan? T(Duration? d) => d?.ToTimeSpan();

    private static TEnum Enum<TEnum>(string text, string path, TEnum? empty = null)
        where TEnum : struct, System.Enum
    {
        if (text.Length == 0 && empty is { } fallback)
            return fallback;
        return System.Enum.TryParse<TEnum>(text, ignoreCase: false, out var value) && System.Enum.IsDefined(value)
            ? value
            : throw new SnapshotFormatException($"{path}: '{text}' is not one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
    }
}

/// <summary>A snapshot message that does not map onto the model (a NACK reason).</summary>
public sealed class SnapshotFormatException(string message) : Exception(message);
