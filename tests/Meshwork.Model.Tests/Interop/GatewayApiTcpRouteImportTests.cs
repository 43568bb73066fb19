using Meshwork.Model.Interop;
using Meshwork.Model.Resources;
using Meshwork.Model.Tests.Validation;

namespace Meshwork.Model.Tests.Interop;

/// <summary>Gateway API TCPRoute v1alpha2 attached to a Service (GAMMA), as in apis/v1alpha2/tcproute_types.go.</summary>
public class GatewayApiTcpRouteImportTests
{
    private const string Route = """
        apiVersion: gateway.networking.k8s.io/v1alpha2
        kind: TCPRoute
        metadata:
          name: db
          namespace: shop
        spec:
          parentRefs:
            - kind: Service
              name: db
              port: 5432
          rules:
            - backendRefs:
                - name: db-primary
                  port: 5432
                  weight: 80
                - name: db-replica
                  port: 5432
                  weight: 20
        """;

    [Fact]
    public void ServiceParent_PortAndWeightedBackends_BecomeATcpRoute()
    {
        var result = ManifestImporter.Import(Route);
        Assert.Empty(result.Errors);
        var route = Assert.Single(result.Resources.OfType<TcpRoute>());
        Assert.Equal(("db", "shop", "db", 5432), (route.Metadata.Name, route.Metadata.Namespace, route.Service, route.Port));
        Assert.Equal([("db-primary", 80), ("db-replica", 20)], Assert.Single(route.Rules).BackendRefs.Select(b => (b.Service, b.Weight)));
    }

    [Fact]
    public void ParentWithoutPort_IsAnErrorNamingTheField()
    {
        var result = ManifestImporter.Import(Route.Replace("      port: 5432\n  rules", "  rules").Replace("              port: 5432\n          rules:", "          rules:"));
        Assert.Contains(result.Errors, m => m.Path == "[0].spec.parentRefs[0].port" && m.Message.StartsWith("is required", StringComparison.Ordinal));
        Assert.Empty(result.Resources.OfType<TcpRoute>());
    }

    [Fact]
    public void GatewayParent_IsAnError()
    {
        var result = ManifestImporter.Import(Route.Replace("kind: Service", "kind: Gateway"));
        Assert.Contains(result.Errors, m => m.Path == "[0].spec.parentRefs[0].kind");
    }
}

/// <summary>A TcpRoute written as a Gateway API TCPRoute reads back as the same route (versions aside, which Gateway API cannot select).</summary>
public class GatewayApiTcpRouteExportTests
{
    [Fact]
    public void Export_ThenImport_KeepsServicePortAndWeights_WarnsAboutVersions()
    {
        var route = Valid.Tcp with { Rules = [new() { BackendRefs = [new() { Service = "reviews", Version = "v1", Weight = 80 }, new() { Service = "ratings", Weight = 20 }] }] };
        var result = ManifestExporter.Export([route, Valid.Reviews], ExportFormat.GatewayApi);
        Assert.Contains("kind: TCPRoute", result.Yaml);
        Assert.Contains(result.Messages, m => m.Path == "[0].rules[0].backendRefs[0].version" && m.Severity == InteropSeverity.Warning);
        var back = ManifestImporter.Import(result.Yaml).Single<TcpRoute>(route.Metadata.Name);
        Assert.Equal((route.Service, route.Port), (back.Service, back.Port));
        Assert.Equal([("reviews", 80), ("ratings", 20)], back.Rules.Single().BackendRefs.Select(b => (b.Service, b.Weight)));
    }
}
