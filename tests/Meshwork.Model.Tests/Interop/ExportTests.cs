using Meshwork.Model.Interop;
using Meshwork.Model.Resources;
using Meshwork.Model.Tests.Validation;

namespace Meshwork.Model.Tests.Interop;

/// <summary>What the exporters write where Meshwork and the target differ.</summary>
public class ExportTests
{
    [Fact]
    public void GatewayApi_WarnsAboutVersionsAndFaults_WritesTheServicesPort_AndNotesKindsWithoutEquivalent()
    {
        var route = Valid.Route(Valid.Rule() with { Fault = new FaultInjection { Abort = new FaultAbort { HttpStatus = 503 } } });
        var service = Valid.Reviews with { Port = 9080 };
        var result = ManifestExporter.Export([route, service], ExportFormat.GatewayApi);
        Assert.Contains("port: 9080", result.Yaml);
        Assert.Contains("kind: HTTPRoute", result.Yaml);
        Assert.Contains(result.Messages, m => m.Path == "[0].rules[0].backendRefs[0].version" && m.Severity == InteropSeverity.Warning);
        Assert.Contains(result.Messages, m => m.Path == "[0].rules[0].fault");
        Assert.Contains(result.Messages, m => m.Path == "[1]" && m.Severity == InteropSeverity.Note);
    }

    [Fact]
    public void Istio_RulesWhoseOrderDiffersFromPrecedence_AreWrittenOneMatchPerRouteInPrecedenceOrder()
    {
        // Meshwork tries /api/special (exact) before the catch-all declared first; Istio would not.
        var route = Valid.Route(
            Valid.Rule(Valid.Prefix("/")),
            Valid.Rule(new HttpRouteMatch { Path = new PathMatch { Type = PathMatchType.Exact, Value = "/api/special" } }) with { BackendRefs = [new() { Service = "reviews", Version = "v2" }] });
        var result = ManifestExporter.Export([route], ExportFormat.Istio);
        Assert.Contains(result.Messages, m => m.Path == "[0].rules");
        Assert.True(result.Yaml.IndexOf("exact: /api/special", StringComparison.Ordinal) < result.Yaml.IndexOf("prefix: /", StringComparison.Ordinal), result.Yaml);
        var back = ManifestImporter.Import(result.Yaml).Single<HttpRoute>("reviews");
        Assert.Equal("v2", back.Rules[0].BackendRefs.Single().Version);
    }

    [Fact]
    public void Istio_ASegmentPrefix_IsExactPlusSlashPrefix_AndAServiceWithoutRetriesGetsAttemptsZero()
    {
        var result = ManifestExporter.Export([Valid.Route(Valid.Rule(Valid.Prefix("/api")))], ExportFormat.Istio);
        Assert.Contains("exact: /api", result.Yaml);
        Assert.Contains("prefix: /api/", result.Yaml);
        Assert.Contains("attempts: 0", result.Yaml);
    }

    [Fact]
    public void Istio_RetriesComeFromTheDestinationsResiliencePolicy()
    {
        var policy = Valid.Resilience with { Retries = new RetryPolicy { Attempts = 4, RetryOn = ["5xx", "retriable-status-codes"], RetriableStatusCodes = [502, 503] } };
        var result = ManifestExporter.Export([Valid.Route()], ExportFormat.Istio, [policy]);
        Assert.Contains("attempts: 4", result.Yaml);
        Assert.Contains("retryOn: 5xx,502,503", result.Yaml);
    }

    [Fact]
    public void Meshwork_IsOurOwnYaml() =>
        Assert.Equal(Model.Serialization.ResourceYaml.Write(Valid.Reviews), ManifestExporter.Export([Valid.Reviews], ExportFormat.Meshwork).Yaml);
}
