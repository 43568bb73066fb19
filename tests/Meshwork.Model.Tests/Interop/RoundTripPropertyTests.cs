using CsCheck;
using Meshwork.Model.Interop;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.Model.Tests.Interop;

/// <summary>Leaving and arriving again loses nothing both sides can say: export, import, and the resource is the same.</summary>
public class RoundTripPropertyTests
{
    [Fact]
    public void AnyRoute_ExportedAsGatewayApi_ImportsAsTheSameRoute() =>
        InteropGen.Route(istio: false).Sample(route => AssertRoundTrip(route, ExportFormat.GatewayApi), iter: 500);

    [Fact]
    public void AnyRoute_ExportedAsIstio_ImportsAsTheSameRoute() =>
        InteropGen.Route(istio: true).Sample(route => AssertRoundTrip(route, ExportFormat.Istio), iter: 500);

    [Fact]
    public void AnyTcpRoute_ExportedAsIstio_ImportsAsTheSameRoute() =>
        InteropGen.TcpRoute.Sample(route => AssertRoundTrip(route, ExportFormat.Istio), iter: 300);

    [Fact]
    public void AnyAccessPolicy_ExportedAsIstio_ImportsAsTheSamePolicy() =>
        InteropGen.AccessPolicy.Sample(policy => AssertRoundTrip(policy, ExportFormat.Istio), iter: 500);

    [Fact]
    public void AnyServiceAndResiliencePolicy_ExportedAsIstio_ImportAsTheSameResources() =>
        InteropGen.ServiceAndPolicy.Sample(pair =>
        {
            var export = ManifestExporter.Export([pair.Service, pair.Policy], ExportFormat.Istio);
            var imported = ManifestImporter.Import(export.Yaml);
            Assert.Empty(imported.Errors);
            Assert.Equal(MeshworkJson.Canonical(pair.Service), MeshworkJson.Canonical(imported.Single<Service>("svc")));
            Assert.Equal(MeshworkJson.Canonical(pair.Policy), MeshworkJson.Canonical(imported.Single<ResiliencePolicy>(pair.Policy.Metadata.Name)));
        }, iter: 300);

    private static void AssertRoundTrip<T>(T resource, ExportFormat format) where T : Resource
    {
        var export = ManifestExporter.Export([resource], format);
        Assert.DoesNotContain(export.Messages, m => m.Severity == InteropSeverity.Warning);
        var imported = ManifestImporter.Import(export.Yaml);
        Assert.True(!imported.Errors.Any(), $"{string.Join("\n", imported.Errors)}\n{export.Yaml}");
        var back = imported.Single<T>(resource.Metadata.Name);
        Assert.True(MeshworkJson.Canonical(resource) == MeshworkJson.Canonical(back),
            $"{MeshworkJson.Canonical(resource)}\n!=\n{MeshworkJson.Canonical(back)}\nvia\n{export.Yaml}");
    }
}
