using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;
using static Meshwork.Model.Interop.GatewayApiExporter;

namespace Meshwork.Model.Interop;

/// <summary>
/// Meshwork resources as Istio (networking/security v1): an HttpRoute and a TcpRoute as a VirtualService, a
/// Service and its ResiliencePolicy as one DestinationRule (versions as subsets), an
/// AccessPolicy as an AuthorizationPolicy. Written so Istio sends the same requests to the same
/// places: a segment prefix becomes exact + "prefix/" matches, routes are written in Meshwork's
/// precedence order when declaration order would differ, and a service Meshwork does not retry
/// gets retries.attempts 0 (Istio retries by default).
/// </summary>
internal static class IstioExporter
{
    private const string Networking = "networking.istio.io/v1";

    public static IEnumerable<JsonObject> Export(Resource resource, IReadOnlyList<Resource> exported, IReadOnlyList<Resource> all, ExportWriter writer)
    {
        switch (resource)
        {
            case HttpRoute route:
                yield return IstioVirtualServiceExporter.Export(route, all, writer, IstioTcpRouteExporter.Carried(route, exported));
                break;
            case TcpRoute tcp:
                foreach (var document in IstioTcpRouteExporter.Export(tcp, exported, writer))
                    yield return document;
                break;
            case Service service:
                var servicePolicy = all.OfType<ResiliencePolicy>().FirstOrDefault(p => p.Service == service.Metadata.Name && p.Metadata.Namespace == service.Metadata.Namespace);
                yield return DestinationRule(service.Metadata, service.Metadata.Name, service.Versions, servicePolicy, writer);
                break;
            case ResiliencePolicy merged when exported.OfType<Service>().Any(s => s.Metadata.Name == merged.Service && s.Metadata.Namespace == merged.Metadata.Namespace):
                writer.Note($"written into the DestinationRule of service '{merged.Service}' (Istio has one DestinationRule per host)");
                break;
            case ResiliencePolicy policy:
                var versions = all.OfType<Service>().FirstOrDefault(s => s.Metadata.Name == policy.Service && s.Metadata.Namespace == policy.Metadata.Namespace)?.Versions ?? [];
                yield return DestinationRule(policy.Metadata, policy.Service, versions, policy, writer);
                break;
            case AccessPolicy access:
                yield return AuthorizationPolicy(access, writer);
                break;
            default:
                writer.Note($"{resource.Kind} '{resource.Metadata.Namespace}/{resource.Metadata.Name}' has no Istio equivalent; not exported");
                break;
        }
    }

    private static JsonObject DestinationRule(ResourceMetadata metadata, string service, IReadOnlyList<ServiceVersion> versions, ResiliencePolicy? policy, ExportWriter writer)
    {
        var spec = new JsonObject { ["host"] = service };
        if (policy is not null)
            spec["trafficPolicy"] = TrafficPolicy(policy, writer);
        if (versions.Count > 0)
        {
            spec["subsets"] = Array(versions.Select(v => new JsonObject
            {
                ["name"] = v.Name,
                ["labels"] = new JsonObject(v.Labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            }));
        }
        return ManifestExporter.Manifest(Networking, "DestinationRule", metadata with { Name = policy?.Metadata.Name ?? metadata.Name }, spec);
    }

    private static JsonObject TrafficPolicy(ResiliencePolicy policy, ExportWriter writer)
    {
        var json = new JsonObject
        {
            ["loadBalancer"] = policy.LoadBalancer.Policy == LoadBalancingPolicy.ConsistentHash
                ? new JsonObject { ["consistentHash"] = new JsonObject { ["httpHeaderName"] = policy.LoadBalancer.HashHeader } }
                : new JsonObject
                {
                    ["simple"] = policy.LoadBalancer.Policy switch
                    {
                        LoadBalancingPolicy.RoundRobin => "ROUND_ROBIN",
                        LoadBalancingPolicy.Random => "RANDOM",
                        _ => "LEAST_REQUEST",
                    },
                },
        };
        if (policy.ConnectionPool is { } pool)
        {
            var tcp = new JsonObject
            {
                ["connectTimeout"] = writer.Duration(pool.ConnectTimeout, "connectionPool.connectTimeout"),
                ["idleTimeout"] = writer.Duration(pool.TcpIdleTimeout, "connectionPool.tcpIdleTimeout"),
            };
            if (pool.MaxConnections < int.MaxValue)
                tcp["maxConnections"] = pool.MaxConnections;
            var http = new JsonObject
            {
                ["maxRequestsPerConnection"] = pool.MaxRequestsPerConnection,
                ["idleTimeout"] = writer.Duration(pool.IdleTimeout, "connectionPool.idleTimeout"),
            };
            if (pool.MaxPendingRequests < int.MaxValue)
                http["http1MaxPendingRequests"] = pool.MaxPendingRequests;
            if (pool.MaxRequests < int.MaxValue)
                http["http2MaxRequests"] = pool.MaxRequests;
            json["connectionPool"] = new JsonObject { ["tcp"] = tcp, ["http"] = http };
        }
        if (policy.OutlierDetection is { } outliers)
        {
            if (outliers.MaxEjectionPercent != Math.Round(outliers.MaxEjectionPercent))
                writer.Warning("outlierDetection.maxEjectionPercent", $"Istio takes a whole percentage; {outliers.MaxEjectionPercent.ToString(CultureInfo.InvariantCulture)} is rounded");
            json["outlierDetection"] = new JsonObject
            {
                ["consecutive5xxErrors"] = outliers.Consecutive5xxErrors,
                ["interval"] = writer.Duration(outliers.Interval, "outlierDetection.interval"),
                ["baseEjectionTime"] = writer.Duration(outliers.BaseEjectionTime, "outlierDetection.baseEjectionTime"),
                ["maxEjectionPercent"] = (int)Math.Round(outliers.MaxEjectionPercent),
            };
        }
        if (policy.Retries is { } retries)
        {
            json["retryBudget"] = new JsonObject { ["percent"] = retries.Budget.BudgetPercent, ["minRetryConcurrency"] = retries.Budget.MinRetryConcurrency };
            if (retries.BackoffMax != new RetryPolicy().BackoffMax)
                writer.Warning("retries.backoffMax", "Istio sets only the base interval (retries.backoff); the maximum is Envoy's (10 times the base)");
        }
        if (policy.HealthCheck is not null)
            writer.Warning("healthCheck", "Istio has no active health checks (Kubernetes probes do that); not exported");
        if (policy.RateLimit is not null)
            writer.Warning("rateLimit", "Istio configures local rate limits with an EnvoyFilter, not a DestinationRule; not exported");
        return json;
    }

    private static JsonObject AuthorizationPolicy(AccessPolicy policy, ExportWriter writer)
    {
        var spec = new JsonObject();
        if (policy.Service is not null)
            spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = policy.Service } };
        spec["action"] = policy.Action == AccessAction.Allow ? "ALLOW" : "DENY";
        spec["rules"] = Array(policy.Rules.Select((rule, i) => Rule(rule, $"rules[{i}]", writer)));
        return ManifestExporter.Manifest("security.istio.io/v1", "AuthorizationPolicy", policy.Metadata, spec);
    }

    private static JsonObject Rule(AccessRule rule, string path, ExportWriter writer)
    {
        var json = new JsonObject();
        if (rule.From.Count > 0)
            json["from"] = Array(rule.From.Select((f, i) => new JsonObject { ["source"] = Source(f, $"{path}.from[{i}]", writer) }));
        if (rule.To.Count > 0)
        {
            json["to"] = Array(rule.To.Select(t => new JsonObject
            {
                ["operation"] = Strings(new JsonObject(), ("methods", t.Methods), ("paths", t.Paths), ("notPaths", t.NotPaths)),
            }));
        }
        if (rule.When.Count > 0)
        {
            // No values: the header must be present, which Istio says as the glob "*".
            json["when"] = Array(rule.When.Select(w => new JsonObject
            {
                ["key"] = $"request.headers[{w.Header}]",
                ["values"] = Array((w.Values.Count > 0 ? w.Values : ["*"]).Select(v => JsonValue.Create(v))),
            }));
        }
        return json;
    }

    /// <summary>Istio principals have no "spiffe://"; a caller service is the suffix "*/sa/NAME" of its identity.</summary>
    private static JsonObject Source(AccessSource source, string path, ExportWriter writer)
    {
        var principals = source.Principals.Select(p => p.StartsWith("spiffe://", StringComparison.Ordinal) ? p["spiffe://".Length..] : p).ToList();
        foreach (var service in source.Services)
        {
            if (service.Contains('*'))
                writer.Warning($"{path}.services", $"'{service}': Istio principals allow one '*', so a service glob cannot be written; left out");
            else
                principals.Add($"*/sa/{service}");
        }
        return Strings(new JsonObject(), ("principals", principals), ("namespaces", source.Namespaces));
    }

    private static JsonObject Strings(JsonObject json, params (string Name, IReadOnlyList<string> Values)[] fields)
    {
        foreach (var (name, values) in fields.Where(f => f.Values.Count > 0))
            json[name] = Array(values.Select(v => JsonValue.Create(v)));
        return json;
    }
}
