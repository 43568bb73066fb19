using Meshwork.Model.Interop;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Tests.Validation;

namespace Meshwork.Model.Tests.Interop;

/// <summary>Istio VirtualService <c>tcp:</c> routes (TCPRoute, L4MatchAttributes in virtual_service.proto) as TcpRoutes.</summary>
public class IstioTcpRouteImportTests
{
    /// <summary>A tcp-only VirtualService on port 5432 of service db, with one tcp entry whose match and route the tests vary.</summary>
    private static string Db(string? match = "[{port: 5432}]", string route = "- destination: {host: db}", string more = "") => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: db}
        spec:
          hosts: [db]
          tcp:
          - route:
            {{route}}
        {{(match is null ? "" : $"    match: {match}")}}
        {{more}}
        """;

    [Fact]
    public void RealisticManifest_SplitBetweenSubsets_BecomesATcpRouteOnTheMatchedPort()
    {
        var result = Fixtures.Import("istio-virtualservice-tcp.yaml");
        Assert.Empty(result.Errors);
        Assert.DoesNotContain(result.Messages, m => m.Severity == InteropSeverity.Warning);
        var route = result.Single<TcpRoute>("mongo");
        Assert.Equal(("shop", "mongo", 27017, "data"), (route.Metadata.Namespace, route.Service, route.Port, route.Metadata.Labels["team"]));
        Assert.Equal([("mongo", (string?)"v1", 90), ("mongo", "v2", 10)], Assert.Single(route.Rules).BackendRefs.Select(b => (b.Service, b.Version, b.Weight)));
        Assert.Empty(result.Resources.OfType<HttpRoute>());
        Assert.Equal(["v1", "v2"], result.Single<Service>("mongo").Versions.Select(v => v.Name));
    }

    [Theory]
    [InlineData("destinationSubnets", "[10.0.0.0/8]", "the port alone")]
    [InlineData("sourceLabels", "{app: web}", "the port alone")]
    [InlineData("sourceNamespace", "web", "the port alone")]
    [InlineData("gateways", "[mesh]", "mesh traffic (sidecars) only")]
    public void MatchConditionsOtherThanThePort_AreWarnedByPath_AndTheRouteStillImports(string field, string value, string why)
    {
        var result = ManifestImporter.Import(Db(match: $"[{{port: 5432, {field}: {value}}}]"));
        Assert.Contains(why, result.At($"[0].spec.tcp[0].match[0].{field}").Message);
        Assert.Equal(5432, result.Single<TcpRoute>("db").Port);
    }

    [Fact]
    public void DestinationPortOtherThanTheMatchedOne_IsWarned_TheSameOneIsNot()
    {
        var other = ManifestImporter.Import(Db(route: "- destination: {host: db, port: {number: 5555}}"));
        Assert.Contains("port 5555 is not used", other.At("[0].spec.tcp[0].route[0].destination.port.number").Message);
        var same = ManifestImporter.Import(Db(route: "- destination: {host: db, port: {number: 5432}}"));
        Assert.Empty(same.Messages);
    }

    [Fact]
    public void ASecondEntryForAPortAlreadyRouted_IsLeftOutWithAWarning()
    {
        var result = ManifestImporter.Import(Db(match: "[{port: 5432, sourceLabels: {app: web}}]", more: "  - match: [{port: 5432}]\n    route: [{destination: {host: db-replica}}]"));
        Assert.Contains("tcp[0] already routes port 5432", result.At("[0].spec.tcp[1]").Message);
        Assert.Equal("db", Assert.Single(result.Single<TcpRoute>("db").Rules[0].BackendRefs).Service);
    }

    [Fact]
    public void SeveralPorts_BecomeOneTcpRouteEach_NamedByPort()
    {
        var result = ManifestImporter.Import(Db(match: "[{port: 5432}, {port: 5433}]", more: "  - match: [{port: 6432}]\n    route: [{destination: {host: pgbouncer}}]"));
        Assert.Empty(result.Errors);
        Assert.Equal([("db-5432", 5432, "db"), ("db-5433", 5433, "db"), ("db-6432", 6432, "pgbouncer")],
            result.Resources.OfType<TcpRoute>().Select(r => (r.Metadata.Name, r.Port, r.Rules[0].BackendRefs[0].Service)));
        Assert.Contains("TcpRoute 'db-6432'", result.At("[0].spec.tcp[1]", InteropSeverity.Note).Message);
    }

    [Fact]
    public void NoPort_TakesTheStoredServicesPortWithAWarning_OfflineItIsAnError()
    {
        var stored = new Service { Metadata = new() { Name = "db" }, Port = 5432 };
        var withStore = ManifestImporter.Import(Db(match: "[{sourceNamespace: web}]"), [stored]);
        Assert.Equal(5432, withStore.Single<TcpRoute>("db").Port);
        Assert.Contains("the service's port 5432 is used", withStore.At("[0].spec.tcp[0].match[0].port").Message);

        var offline = ManifestImporter.Import(Db(match: null));
        Assert.Contains(offline.Errors, m => m.Path == "[0].spec.tcp[0].match" && m.Message.StartsWith("is required", StringComparison.Ordinal));
        Assert.Empty(offline.Resources);
    }

    [Fact]
    public void GatewayOnlyTcpRoutes_AreAnError_OtherServiceHostsAreWarned()
    {
        var gateway = ManifestImporter.Import(Db(more: "  gateways: [edge]"));
        Assert.Contains(gateway.Errors, m => m.Path == "[0].spec.gateways" && m.Message.Contains("north/south", StringComparison.Ordinal));
        gateway.NothingAt("[0].spec.tcp");
        Assert.Empty(gateway.Resources);

        var meshAndGateway = ManifestImporter.Import(Db(more: "  gateways: [mesh, edge]"));
        Assert.Contains("mesh traffic only", meshAndGateway.At("[0].spec.gateways").Message);
        Assert.Equal(5432, meshAndGateway.Single<TcpRoute>("db").Port);

        var hosts = ManifestImporter.Import(Db().Replace("hosts: [db]", "hosts: [db, db-replica, db.archive]"));
        Assert.Equal("db", hosts.Single<TcpRoute>("db").Service);
        Assert.Contains("belongs to 'db'", hosts.At("[0].spec.hosts[1]").Message);
        hosts.At("[0].spec.hosts[2]");

        var elsewhere = ManifestImporter.Import(Db().Replace("hosts: [db]", "hosts: [db.archive]"));
        Assert.Contains(elsewhere.Errors, m => m.Path == "[0].spec.hosts" && m.Message.Contains("namespace 'default'", StringComparison.Ordinal));
    }

    [Fact]
    public void FieldsOfATcpEntryWithoutEquivalent_AreWarnedByPath()
    {
        var result = ManifestImporter.Import(Db(more: "    timeout: 5s"));
        Assert.Equal("no equivalent in Meshwork; ignored", result.At("[0].spec.tcp[0].timeout").Message);
    }

    [Fact]
    public void ImportedTcpRoutes_AreValidatedAsStoredOnes_APortHeldByAnotherRouteIsRefused()
    {
        var result = ManifestImporter.Import(Db(match: "[{port: 15432}]"), [Valid.Reviews, new Service { Metadata = new() { Name = "db" } }, Valid.Tcp]);
        Assert.Contains(result.Errors, m => m.Path == "[0] (TcpRoute default/db)" && m.Message.Contains("already belongs to TcpRoute 'default/reviews-tcp'", StringComparison.Ordinal));
        Assert.Empty(result.Resources);
    }

    [Fact]
    public void MixedVirtualService_YieldsAnHttpRouteAndATcpRoute_AndExportsAsOneVirtualServiceAgain()
    {
        var result = ManifestImporter.Import(Db(more: "  http:\n  - route: [{destination: {host: db, subset: v1}}]"));
        Assert.Empty(result.Errors);
        var http = result.Single<HttpRoute>("db");
        var tcp = result.Single<TcpRoute>("db");
        Assert.Equal("v1", http.Rules.Single().BackendRefs.Single().Version);
        Assert.Equal(5432, tcp.Port);

        var export = ManifestExporter.Export([http, tcp], ExportFormat.Istio);
        Assert.Single(export.Yaml.Split("kind: VirtualService").Skip(1));
        Assert.Contains(export.Messages, m => m.Path == "[1]" && m.Severity == InteropSeverity.Note);
        var back = ManifestImporter.Import(export.Yaml);
        Assert.Equal(MeshworkJson.Canonical(http), MeshworkJson.Canonical(back.Single<HttpRoute>("db")));
        Assert.Equal(MeshworkJson.Canonical(tcp), MeshworkJson.Canonical(back.Single<TcpRoute>("db")));
    }
}

/// <summary>A TcpRoute written as an Istio VirtualService tcp route.</summary>
public class IstioTcpRouteExportTests
{
    [Fact]
    public void Export_WritesOneMatchOnThePortAndWeightedSubsets_AndImportsAsTheSameRoute()
    {
        var route = Valid.Tcp with { Rules = [new() { BackendRefs = [new() { Service = "reviews", Version = "v1", Weight = 90 }, new() { Service = "ratings", Namespace = "books", Weight = 10 }] }] };
        var result = ManifestExporter.Export([route], ExportFormat.Istio);
        Assert.Empty(result.Messages);
        Assert.Contains("port: 15432", result.Yaml);
        Assert.Contains("subset: v1", result.Yaml);
        Assert.Contains("host: ratings.books.svc.cluster.local", result.Yaml);
        var back = ManifestImporter.Import(result.Yaml).Single<TcpRoute>(route.Metadata.Name);
        Assert.Equal(MeshworkJson.Canonical(route), MeshworkJson.Canonical(back));
    }

    [Fact]
    public void RuleName_IsWarned_IstioTcpRoutesHaveNone()
    {
        var result = ManifestExporter.Export([Valid.Tcp with { Rules = [Valid.Tcp.Rules[0] with { Name = "primary" }] }], ExportFormat.Istio);
        Assert.Contains(result.Messages, m => m.Path == "[0].rules[0].name" && m.Severity == InteropSeverity.Warning);
    }

    [Fact]
    public void AnHttpRouteOfTheSameNameThatCannotCarryIt_IsAWarning_BothAreWritten()
    {
        var http = Valid.Route() with { Metadata = new() { Name = "reviews-tcp" }, ParentRefs = [new() { Kind = ParentKind.Gateway, Name = "edge" }] };
        var result = ManifestExporter.Export([http, Valid.Tcp], ExportFormat.Istio);
        Assert.Equal(2, result.Yaml.Split("kind: VirtualService").Length - 1);
        Assert.Contains("rename one", Assert.Single(result.Messages, m => m.Path == "[1]").Message);
    }
}
