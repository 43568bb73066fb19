using Meshwork.Cli;

namespace Meshwork.Portal.Tests.Cli;

/// <summary>meshctl export of the stored resources, against the real portal pipeline.</summary>
public sealed class MeshctlExportTests(PortalFactory portal) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "meshctl-export-" + Guid.NewGuid().ToString("N")[..12]);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        var client = await portal.CreateClientAsync("Operator", "meshctl export tests");
        var login = await RunAsync("login", "--server", "http://localhost", "--client-id", client.ClientId, "--client-secret", client.ClientSecret);
        Assert.True(login.Code == 0, login.Error);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MeshctlApp.RunAsync(args, new CliEnvironment(Path.Combine(directory, "config"), output, error, portal.Server.CreateHandler()));
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Export_StoredResources_AsIstio_UsesTheStoredServicesVersionsAndPolicy()
    {
        var file = Path.Combine(directory, "mesh.yaml");
        await File.WriteAllTextAsync(file, """
            kind: Service
            metadata: {name: exported, namespace: export-test}
            port: 9080
            versions:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
            ---
            kind: ResiliencePolicy
            metadata: {name: exported, namespace: export-test}
            service: exported
            retries: {attempts: 3, retryOn: [5xx]}
            ---
            kind: HttpRoute
            metadata: {name: exported, namespace: export-test}
            parentRefs: [{name: exported}]
            rules:
            - backendRefs:
              - {service: exported, version: v1, weight: 80}
              - {service: exported, version: v2, weight: 20}
            """);
        var applied = await RunAsync("apply", "-f", file);
        Assert.True(applied.Code == 0, applied.Error);

        var istio = await RunAsync("export", "--format", "istio", "-n", "export-test");
        Assert.True(istio.Code == 0, istio.Error);
        Assert.Contains("kind: VirtualService", istio.Output);
        Assert.Contains("kind: DestinationRule", istio.Output);
        Assert.Contains("subset: v2", istio.Output);
        Assert.Contains("attempts: 3", istio.Output);

        var gateway = await RunAsync("export", "--format", "gateway", "-n", "export-test");
        Assert.True(gateway.Code == 0, gateway.Error);
        Assert.Contains("kind: HTTPRoute", gateway.Output);
        Assert.Contains("port: 9080", gateway.Output);
    }
}
