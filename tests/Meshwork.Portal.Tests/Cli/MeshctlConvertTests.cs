using Meshwork.Cli;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;

namespace Meshwork.Portal.Tests.Cli;

/// <summary>
/// meshctl convert: offline (no portal, no saved login), our YAML on stdout, every warning, note
/// and error on stderr, exit 1 only when nothing could be translated.
/// </summary>
public sealed class MeshctlConvertTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "meshctl-convert-" + Guid.NewGuid().ToString("N")[..12]);

    public MeshctlConvertTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private async Task<(int Code, string Output, string Error)> ConvertAsync(string yaml)
    {
        var file = Path.Combine(directory, "input.yaml");
        await File.WriteAllTextAsync(file, yaml);
        var output = new StringWriter();
        var error = new StringWriter();
        // No handler and an empty config directory: any attempt to reach a portal would fail.
        var code = await MeshctlApp.RunAsync(["convert", "-f", file], new CliEnvironment(Path.Combine(directory, "config"), output, error));
        return (code, output.ToString(), error.ToString());
    }

    private const string VirtualService = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {host: reviews, subset: v1}
              weight: 90
            - destination: {host: reviews, subset: v2}
              weight: 10
            corsPolicy: {allowOrigins: [{exact: "*"}]}
        """;

    [Fact]
    public async Task Translated_WritesOnlyOurYamlToStdout_AndWarningsToStderr_ExitZero()
    {
        var (code, output, error) = await ConvertAsync("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reviews}\n---\n" + VirtualService);

        Assert.Equal(0, code);
        var read = ResourceYaml.Read(output);
        Assert.Empty(read.Issues);
        var route = Assert.IsType<HttpRoute>(Assert.Single(read.Resources, r => r is HttpRoute));
        Assert.Equal([90, 10], route.Rules[0].BackendRefs.Select(b => b.Weight));
        Assert.Contains("warning: [1].spec.http[0].corsPolicy:", error);
        Assert.Contains("note: [0]: skipped: Deployment", error);
        Assert.DoesNotContain("warning", output);
    }

    [Fact]
    public async Task SomeDocumentsInError_StillExitZero_WithTheErrorsOnStderr()
    {
        var (code, output, error) = await ConvertAsync(VirtualService + "\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x}\nspec: {action: CUSTOM}\n");

        Assert.Equal(0, code);
        Assert.Contains("kind: HttpRoute", output);
        Assert.Contains("error: [1].spec.action:", error);
    }

    [Fact]
    public async Task NothingTranslated_ExitsOne_WithNothingOnStdout()
    {
        var (code, output, error) = await ConvertAsync("apiVersion: v1\nkind: Service\nmetadata: {name: reviews}\n");

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains("nothing could be translated", error);
    }

    [Fact]
    public async Task MissingFile_ExitsOne()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MeshctlApp.RunAsync(["convert", "-f", Path.Combine(directory, "absent.yaml")], new CliEnvironment(directory, output, error));
        Assert.Equal(1, code);
        Assert.Contains("no such file", error.ToString());
    }

    [Fact]
    public async Task Export_FromAFile_WritesIstioOrGatewayApi_Offline()
    {
        var file = Path.Combine(directory, "ours.yaml");
        await File.WriteAllTextAsync(file, """
            kind: HttpRoute
            metadata: {name: reviews}
            parentRefs: [{name: reviews}]
            rules:
            - backendRefs: [{service: reviews, version: v1}]
            """);
        foreach (var (format, kind) in new[] { ("istio", "kind: VirtualService"), ("gateway", "kind: HTTPRoute") })
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var code = await MeshctlApp.RunAsync(["export", "--format", format, "-f", file], new CliEnvironment(Path.Combine(directory, "config"), output, error));
            Assert.True(code == 0, error.ToString());
            Assert.Contains(kind, output.ToString());
            if (format == "gateway")
                Assert.Contains("rules[0].backendRefs[0].version", error.ToString());
        }
    }
}
