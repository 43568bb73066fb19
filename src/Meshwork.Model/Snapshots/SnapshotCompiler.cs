using Meshwork.Model.Resources;

namespace Meshwork.Model.Snapshots;

/// <summary>
/// Compiles desired state into the snapshot of one proxy. Pure: no I/O, no clock, deterministic
/// (lists ordered), so the same inputs always give the same hash.
/// Sidecars get every mesh service as an outbound virtual host (no dependency declarations, as in
/// Istio's default), but only their own inbound policies and rate limit; a gateway additionally
/// gets the HttpRoutes attached to it.
/// </summary>
public static class SnapshotCompiler
{
    public const string LocalAppCluster = "local-app";

    public static ProxySnapshot Compile(SnapshotInputs inputs) =>
        Compile(inputs, Prepare(inputs.Resources, inputs.Instances, meshTls: inputs.Certificates is not null));

    /// <summary>
    /// Compiles one proxy on top of <paramref name="mesh"/>, which must have been prepared from the same
    /// resources and instances (and certificates present or not) as <paramref name="inputs"/>: the result
    /// is the snapshot <see cref="Compile(SnapshotInputs)"/> gives, hash included.
    /// </summary>
    public static ProxySnapshot Compile(SnapshotInputs inputs, MeshCompilation mesh) => SnapshotHash.WithHash(Build(inputs, mesh));

    /// <summary>
    /// The part every proxy's snapshot shares (every Service's clusters and outbound virtual host), compiled
    /// once for a round instead of once per proxy: at 1,000 proxies it was most of the compiler's work.
    /// </summary>
    public static MeshCompilation Prepare(IReadOnlyList<Resource> resources, IReadOnlyList<Instance> instances, bool meshTls)
    {
        var mesh = resources.OfType<MeshSettings>().FirstOrDefault(m => m.Metadata.Name == MeshSettings.SingletonName) ?? new MeshSettings
        {
            Metadata = new ResourceMetadata { Name = MeshSettings.SingletonName },
        };
        var services = resources.OfType<Service>()
            .OrderBy(s => s.Metadata.Namespace, StringComparer.Ordinal).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal).ToArray();
        // One policy per service (the validator rejects a second); of policies stored before that
        // rule, the first by name applies.
        var resilience = resources.OfType<ResiliencePolicy>()
            .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .GroupBy(p => (p.Service, p.Metadata.Namespace))
            .ToDictionary(g => g.Key, g => g.First());
        var routes = resources.OfType<HttpRoute>()
            .OrderBy(r => r.Metadata.Namespace, StringComparer.Ordinal).ThenBy(r => r.Metadata.Name, StringComparer.Ordinal).ToArray();

        var clusters = new SortedDictionary<string, SnapshotCluster>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            var ns = service.Metadata.Namespace;
            var settings = Settings(resilience.GetValueOrDefault((service.Metadata.Name, ns)));
            var serviceInstances = instances.Where(i => i.Service == service.Metadata.Name && i.Namespace == ns).ToArray();
            AddCluster(clusters, service.Metadata.Name, ns, "", serviceInstances, settings, meshTls);
            foreach (var version in service.Versions)
                AddCluster(clusters, service.Metadata.Name, ns, version.Name, serviceInstances.Where(i => i.Version == version.Name), settings, meshTls);
        }

        var outbound = new List<VirtualHost>();
        foreach (var service in services)
        {
            var ns = service.Metadata.Namespace;
            var name = service.Metadata.Name;
            var attached = routes.Where(r => r.ParentRefs.Any(p => p.Kind == ParentKind.Service && p.Name == name && (p.Namespace ?? r.Metadata.Namespace) == ns)).ToArray();
            var rules = attached.Length == 0
                ? [new CompiledRule
                {
                    RouteName = RouteRuleName.Of(ns, name, "default"),
                    Backends = [new WeightedCluster { Cluster = ClusterName(name, ns, null) }],
                    RequestTimeout = mesh.DefaultRequestTimeout,
                }]
                : CompileRules(attached, mesh);
            outbound.Add(new VirtualHost
            {
                Name = ClusterName(name, ns, null),
                Listener = ListenerKind.Outbound,
                Domains = [name, $"{name}.{ns}", $"{name}.{ns}.svc", $"{name}.{ns}.svc.{mesh.TrustDomain}"],
                Rules = rules,
            });
        }
        return new MeshCompilation(mesh, services, resilience, routes, clusters, outbound, TcpListeners(resources), meshTls);
    }

    /// <summary>
    /// Every TcpRoute, for every sidecar (as every Service is an outbound virtual host), by port. A port
    /// belongs to one route (the validator rejects a second); of routes stored before that rule, the first
    /// by namespace/name keeps it, so the proxy never sees a port twice.
    /// </summary>
    private static IReadOnlyList<TcpRouteListener> TcpListeners(IReadOnlyList<Resource> resources) => resources.OfType<TcpRoute>()
        .Where(r => r.Rules.Count > 0)
        .OrderBy(r => r.Metadata.Namespace, StringComparer.Ordinal).ThenBy(r => r.Metadata.Name, StringComparer.Ordinal)
        .DistinctBy(r => r.Port)
        .OrderBy(r => r.Port)
        .Select(r => new TcpRouteListener
        {
            RouteName = RouteRuleName.Of(r.Metadata.Namespace, r.Metadata.Name, r.Rules[0].Name ?? "0"),
            Port = r.Port,
            Backends = r.Rules[0].BackendRefs
                .Select(b => new WeightedCluster { Cluster = ClusterName(b.Service, b.Namespace ?? r.Metadata.Namespace, b.Version), Weight = b.Weight })
                .ToArray(),
        })
        .ToArray();

    /// <summary>"service.namespace" (all versions) or "service.namespace|version".</summary>
    public static string ClusterName(string service, string ns, string? version) =>
        string.IsNullOrEmpty(version) ? $"{service}.{ns}" : $"{service}.{ns}|{version}";

    /// <summary>spiffe://TRUST-DOMAIN/ns/NAMESPACE/sa/SERVICE.</summary>
    public static string SpiffeId(string trustDomain, string ns, string service) => $"spiffe://{trustDomain}/ns/{ns}/sa/{service}";

    private static ProxySnapshot Build(SnapshotInputs inputs, MeshCompilation shared)
    {
        var proxy = inputs.Proxy;
        var mesh = shared.Mesh;
        var services = shared.Services;
        var resilience = shared.Resilience;
        var routes = shared.Routes;
        var clusters = new SortedDictionary<string, SnapshotCluster>(shared.Clusters, StringComparer.Ordinal);
        var virtualHosts = new List<VirtualHost>(shared.OutboundHosts);

        if (proxy.GatewayPort > 0)
        {
            var gatewayRoutes = routes.Where(r => r.ParentRefs.Any(p => p.Kind == ParentKind.Gateway && p.Name == proxy.Service && (p.Namespace ?? r.Metadata.Namespace) == proxy.Namespace));
            // A host name belongs to one route (the validator rejects a second claim). Routes stored
            // before that rule may still share one: the first route by namespace/name keeps it, so
            // the proxy never sees a name twice (it would reject the whole snapshot).
            var claimed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var route in gatewayRoutes)
            {
                var domains = (route.Hostnames.Count == 0 ? ["*"] : route.Hostnames.Select(h => h.ToLowerInvariant()))
                    .Where(claimed.Add)
                    .ToArray();
                if (domains.Length == 0)
                    continue;
                virtualHosts.Add(new VirtualHost
                {
                    Name = $"gateway:{route.Metadata.Namespace}/{route.Metadata.Name}",
                    Listener = ListenerKind.Gateway,
                    Domains = domains,
                    Rules = CompileRules([route], mesh),
                });
            }
        }

        // Every referenced cluster exists, even for a service with no Service resource yet (no endpoints: 503).
        var referenced = virtualHosts.SelectMany(v => v.Rules).SelectMany(r => r.Backends.Select(b => b.Cluster).Concat(r.Mirrors.Select(m => m.Cluster)))
            .Concat(shared.TcpListeners.SelectMany(l => l.Backends.Select(b => b.Cluster)));
        foreach (var cluster in referenced)
        {
            if (!clusters.ContainsKey(cluster))
                clusters[cluster] = EmptyCluster(cluster, shared.MeshTls);
        }

        var ownPolicy = resilience.GetValueOrDefault((proxy.Service, proxy.Namespace));
        var ownService = services.FirstOrDefault(s => s.Metadata.Name == proxy.Service && s.Metadata.Namespace == proxy.Namespace);
        var appAddress = proxy.AppAddress ?? $"127.0.0.1:{ownService?.Port ?? 8080}";
        clusters[LocalAppCluster] = new SnapshotCluster
        {
            Name = LocalAppCluster,
            Service = proxy.Service,
            Namespace = proxy.Namespace,
            Version = proxy.Version,
            MeshTls = false,
            Endpoints = [new SnapshotEndpoint { InstanceId = proxy.ProxyId + "/app", Address = appAddress, Health = InstanceHealth.Unknown, Version = proxy.Version }],
            Settings = new ClientSettings { LoadBalancer = new LoadBalancerSettings { Policy = LoadBalancingPolicy.RoundRobin } },
        };

        var policies = inputs.Resources.OfType<AccessPolicy>()
            .Where(p => p.Metadata.Namespace == proxy.Namespace && (p.Service is null || p.Service == proxy.Service))
            .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .Select(p => p with { Metadata = new ResourceMetadata { Name = p.Metadata.Name, Namespace = p.Metadata.Namespace } })
            .ToArray();

        var listeners = new List<SnapshotListener>();
        if (proxy.OutboundPort > 0)
            listeners.Add(new SnapshotListener { Name = "outbound", Kind = ListenerKind.Outbound, Port = proxy.OutboundPort });
        if (proxy.InboundPort > 0)
            listeners.Add(new SnapshotListener { Name = "inbound", Kind = ListenerKind.Inbound, Port = proxy.InboundPort, Tls = inputs.Certificates is not null });
        if (proxy.GatewayPort > 0)
            listeners.Add(new SnapshotListener { Name = "gateway", Kind = ListenerKind.Gateway, Port = proxy.GatewayPort, Tls = proxy.GatewayTls });

        return new ProxySnapshot
        {
            Version = inputs.Version,
            Identity = new SnapshotIdentity
            {
                ProxyId = proxy.ProxyId,
                Service = proxy.Service,
                Namespace = proxy.Namespace,
                Version = proxy.Version,
                SpiffeId = SpiffeId(mesh.TrustDomain, proxy.Namespace, proxy.Service),
                TrustDomain = mesh.TrustDomain,
            },
            Listeners = listeners,
            VirtualHosts = virtualHosts,
            TcpListeners = shared.TcpListeners,
            Clusters = clusters.Values.ToArray(),
            Inbound = new InboundSettings
            {
                AppCluster = LocalAppCluster,
                DefaultMode = mesh.DefaultAccessMode,
                Policies = policies,
                RateLimit = ownPolicy?.RateLimit,
                TcpIdleTimeout = ownPolicy?.ConnectionPool?.TcpIdleTimeout ?? ConnectionPoolSettings.DefaultTcpIdleTimeout,
            },
            Certificates = inputs.Certificates,
            PathNormalization = mesh.PathNormalization,
        };
    }

    private static void AddCluster(
        SortedDictionary<string, SnapshotCluster> clusters, string service, string ns, string version,
        IEnumerable<Instance> instances, ClientSettings settings, bool meshTls)
    {
        var name = ClusterName(service, ns, version);
        clusters[name] = new SnapshotCluster
        {
            Name = name,
            Service = service,
            Namespace = ns,
            Version = version,
            MeshTls = meshTls,
            Endpoints = instances
                .OrderBy(i => i.Id, StringComparer.Ordinal)
                .Select(i => new SnapshotEndpoint { InstanceId = i.Id, Address = i.Address, Health = i.Health, Version = i.Version })
                .ToArray(),
            Settings = settings,
        };
    }

    private static SnapshotCluster EmptyCluster(string name, bool meshTls)
    {
        var bar = name.IndexOf('|');
        var serviceAndNs = bar < 0 ? name : name[..bar];
        var dot = serviceAndNs.LastIndexOf('.');
        return new SnapshotCluster
        {
            Name = name,
            Service = dot < 0 ? serviceAndNs : serviceAndNs[..dot],
            Namespace = dot < 0 ? ResourceMetadata.DefaultNamespace : serviceAndNs[(dot + 1)..],
            Version = bar < 0 ? "" : name[(bar + 1)..],
            MeshTls = meshTls,
        };
    }

    private static ClientSettings Settings(ResiliencePolicy? policy) => policy is null
        ? new ClientSettings()
        : new ClientSettings
        {
            Retries = policy.Retries,
            ConnectionPool = policy.ConnectionPool,
            OutlierDetection = policy.OutlierDetection,
            HealthCheck = policy.HealthCheck,
            LoadBalancer = policy.LoadBalancer,
        };

    /// <summary>
    /// One compiled rule per (rule, match), ordered by Gateway API precedence: exact path, then
    /// longest prefix, then regex, then method, most headers, most query params; ties keep
    /// declaration order (routes by namespace/name, then rule order).
    /// </summary>
    private static IReadOnlyList<CompiledRule> CompileRules(IReadOnlyList<HttpRoute> routes, MeshSettings mesh)
    {
        var flat = new List<(CompiledRule Rule, HttpRouteMatch? Match, int Order)>();
        var order = 0;
        foreach (var route in routes)
        {
            for (var i = 0; i < route.Rules.Count; i++)
            {
                var rule = route.Rules[i];
                var compiled = new CompiledRule
                {
                    RouteName = RouteRuleName.Of(route, i),
                    Filters = rule.Filters.Where(f => f.Type != HttpRouteFilterType.RequestMirror).ToArray(),
                    Backends = rule.BackendRefs
                        .Select(b => new WeightedCluster { Cluster = ClusterName(b.Service, b.Namespace ?? route.Metadata.Namespace, b.Version), Weight = b.Weight })
                        .ToArray(),
                    Mirrors = rule.Filters
                        .Where(f => f.Type == HttpRouteFilterType.RequestMirror && f.RequestMirror is not null)
                        .Select(f => new MirrorTarget
                        {
                            Cluster = ClusterName(f.RequestMirror!.BackendRef.Service, f.RequestMirror.BackendRef.Namespace ?? route.Metadata.Namespace, f.RequestMirror.BackendRef.Version),
                            Percent = f.RequestMirror.Percent,
                        })
                        .ToArray(),
                    RequestTimeout = rule.Timeouts?.Request ?? mesh.DefaultRequestTimeout,
                    BackendRequestTimeout = rule.Timeouts?.BackendRequest,
                    Fault = rule.Fault,
                };
                if (rule.Matches.Count == 0)
                    flat.Add((compiled, null, order++));
                foreach (var match in rule.Matches)
                    flat.Add((compiled with { Matches = [match] }, match, order++));
            }
        }
        return flat
            .OrderBy(x => PathRank(x.Match?.Path))
            .ThenByDescending(x => x.Match?.Path is { Type: not PathMatchType.RegularExpression } p ? p.Value.Length : 0)
            .ThenByDescending(x => x.Match?.Method is null ? 0 : 1)
            .ThenByDescending(x => x.Match?.Headers.Count ?? 0)
            .ThenByDescending(x => x.Match?.QueryParams.Count ?? 0)
            .ThenBy(x => x.Order)
            .Select(x => x.Rule)
            .ToArray();
    }

    private static int PathRank(PathMatch? path) => path?.Type switch
    {
        PathMatchType.Exact => 0,
        PathMatchType.RegularExpression => 1,
        _ => 2,
    };
}
