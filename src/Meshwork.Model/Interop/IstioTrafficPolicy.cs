using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>A DestinationRule trafficPolicy as a ResiliencePolicy.</summary>
internal static class IstioTrafficPolicy
{
    public static ResiliencePolicy Translate(SpecNode policy, DocumentReader document, ResourceMetadata metadata, string service)
    {
        const string perService = "has no equivalent in Meshwork; ignored";
        policy.Unsupported("tls", "Meshwork always calls mesh services over its own mutual TLS; client TLS settings are ignored");
        policy.Unsupported("portLevelSettings", "a Meshwork service has one port; port-level settings are ignored");
        policy.Unsupported("tunnel", perService);
        policy.Unsupported("proxyProtocol", perService);
        return new ResiliencePolicy
        {
            Metadata = metadata,
            Service = service,
            LoadBalancer = LoadBalancer(policy.Field("loadBalancer"), document),
            ConnectionPool = ConnectionPool(policy.Field("connectionPool")),
            OutlierDetection = Outliers(policy.Field("outlierDetection"), document),
            Retries = Budget(policy.Field("retryBudget")) is { } budget ? IstioRetries.Default with { Budget = budget } : null,
        };
    }

    private static LoadBalancerSettings LoadBalancer(SpecNode? node, DocumentReader document)
    {
        if (node is null)
            return new();
        foreach (var field in new[] { "localityLbSetting", "zoneAwareLbSetting", "warmupDurationSecs", "warmup" })
            node.Unsupported(field, "has no equivalent in Meshwork; ignored");
        if (node.Field("consistentHash") is { } hash)
        {
            foreach (var field in new[] { "httpCookie", "useSourceIp", "httpQueryParameterName" })
                hash.Unsupported(field, "Meshwork hashes on a request header only; this hash key has no equivalent, so requests are balanced by least request");
            foreach (var field in new[] { "ringHash", "maglev", "minimumRingSize" })
                hash.Unsupported(field, "the hashing algorithm is Meshwork's own; ignored");
            if (hash.String("httpHeaderName") is { } header)
                return new LoadBalancerSettings { Policy = LoadBalancingPolicy.ConsistentHash, HashHeader = header };
            return new LoadBalancerSettings();
        }
        var simple = node.String("simple");
        return simple switch
        {
            null or "UNSPECIFIED" or "LEAST_REQUEST" or "LEAST_CONN" => new LoadBalancerSettings(),
            "ROUND_ROBIN" => new LoadBalancerSettings { Policy = LoadBalancingPolicy.RoundRobin },
            "RANDOM" => new LoadBalancerSettings { Policy = LoadBalancingPolicy.Random },
            _ => Warn(),
        };

        LoadBalancerSettings Warn()
        {
            document.Warning(node.FieldPath("simple"), $"'{simple}' has no equivalent (ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN and RANDOM do); least request is used");
            return new LoadBalancerSettings();
        }
    }

    /// <summary>Istio's limits default to 2^32-1 (unlimited); ours to Envoy's 1024, so an unset Istio limit is written as the largest we hold.</summary>
    private static ConnectionPoolSettings? ConnectionPool(SpecNode? node)
    {
        if (node is null)
            return null;
        var tcp = node.Field("tcp");
        var http = node.Field("http");
        tcp?.Unsupported("tcpKeepalive", "has no equivalent in Meshwork; ignored");
        tcp?.Unsupported("maxConnectionDuration", "has no equivalent in Meshwork; ignored");
        foreach (var field in new[] { "maxRetries", "h2UpgradePolicy", "useClientProtocol", "maxConcurrentStreams", "http2KeepAlive" })
            http?.Unsupported(field, "has no equivalent in Meshwork; ignored");
        var defaults = new ConnectionPoolSettings();
        return new ConnectionPoolSettings
        {
            MaxConnections = tcp?.Int("maxConnections") ?? int.MaxValue,
            ConnectTimeout = tcp?.Duration("connectTimeout") ?? defaults.ConnectTimeout,
            MaxPendingRequests = http?.Int("http1MaxPendingRequests") ?? int.MaxValue,
            MaxRequests = http?.Int("http2MaxRequests") ?? int.MaxValue,
            MaxRequestsPerConnection = http?.Int("maxRequestsPerConnection") ?? 0,
            IdleTimeout = http?.Duration("idleTimeout") ?? defaults.IdleTimeout,
            TcpIdleTimeout = tcp?.Duration("idleTimeout") ?? defaults.TcpIdleTimeout,
        };
    }

    private static OutlierDetection? Outliers(SpecNode? node, DocumentReader document)
    {
        if (node is null)
            return null;
        foreach (var field in new[] { "consecutiveGatewayErrors", "splitExternalLocalOriginErrors", "consecutiveLocalOriginFailures", "minHealthPercent", "outlierDetectionHttpErrorCodes" })
            node.Unsupported(field, "has no equivalent in Meshwork (it counts consecutive 5xx only); ignored");
        var errors = node.Int("consecutive5xxErrors");
        if (errors is null && node.Int("consecutiveErrors") is { } deprecated)
        {
            errors = deprecated;
            document.Warning(node.FieldPath("consecutiveErrors"), "deprecated; Istio counted 502, 503 and 504 only, Meshwork counts every 5xx");
        }
        if (errors == 0)
        {
            document.Note(node.FieldPath("consecutive5xxErrors"), "0 disables outlier detection: none is set");
            return null;
        }
        var defaults = new OutlierDetection();
        return new OutlierDetection
        {
            Consecutive5xxErrors = errors ?? defaults.Consecutive5xxErrors,
            Interval = node.Duration("interval") ?? defaults.Interval,
            BaseEjectionTime = node.Duration("baseEjectionTime") ?? defaults.BaseEjectionTime,
            MaxEjectionPercent = node.Double("maxEjectionPercent") ?? defaults.MaxEjectionPercent,
        };
    }

    private static RetryBudget? Budget(SpecNode? node)
    {
        if (node is null)
            return null;
        node.Unsupported("budgetInterval", "Meshwork's budget counts active requests only (Envoy's default); ignored");
        var defaults = new RetryBudget();
        return new RetryBudget
        {
            BudgetPercent = node.Double("percent") ?? defaults.BudgetPercent,
            MinRetryConcurrency = node.Int("minRetryConcurrency") ?? defaults.MinRetryConcurrency,
        };
    }
}
