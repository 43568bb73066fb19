using Meshwork.Cli;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Cli;

/// <summary>meshctl import against the real portal pipeline and PostgreSQL: the preview writes nothing, the import applies.</summary>
public sealed class MeshctlImportTests(PortalFactory portal) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "meshctl-import-" + Guid.NewGuid().ToString("N")[..12]);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        var client = await portal.CreateClientAsync("Operator", "meshctl import tests");
        var login = await RunAsync("login", "--server", "http://localhost", "--client-id", client.ClientId, "--client-secret", client.ClientSecret);
        Assert.True(login.Code == 0, login.Error);
        await File.WriteAllTextAsync(Path.Combine(directory, "service.yaml"), """
            kind: Service
            metadata: {name: ratings}
            versions:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
            """);
        var apply = await RunAsync("apply", "-f", Path.Combine(directory, "service.yaml"));
        Assert.True(apply.Code == 0, apply.Error);
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

    private async Task<StoredResource?> StoredRouteAsync()
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(new ResourceKey(ResourceKind.HttpRoute, "default", "ratings"));
    }

    [Fact]
    public async Task DryRun_PrintsTheChangeAndWarnings_WritesNothing_ThenImportApplies()
    {
        var file = Path.Combine(directory, "split.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings}
            spec:
              hosts: [ratings]
              http:
              - route:
                - destination: {host: ratings, subset: v1}
                  weight: 75
                - destination: {host: ratings, subset: v2}
                  weight: 25
                corsPolicy: {allowOrigins: [{exact: "*"}]}
            """);

        var preview = await RunAsync("import", "-f", file, "--dry-run");
        Assert.True(preview.Code == 0, preview.Error);
        Assert.Contains("HttpRoute/default/ratings: create", preview.Output);
        Assert.Contains("Dry run: nothing written.", preview.Output);
        Assert.Contains("warning: [0].spec.http[0].corsPolicy", preview.Error);
        Assert.Null(await StoredRouteAsync());

        var import = await RunAsync("import", "-f", file);
        Assert.True(import.Code == 0, import.Error);
        Assert.Contains("Applied", import.Output);
        Assert.Equal([75, 25], ((HttpRoute)(await StoredRouteAsync())!.Resource).Rules[0].BackendRefs.Select(b => b.Weight));
        await using var scope = portal.Services.CreateAsyncScope();
        var audit = await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Kind = ResourceKind.HttpRoute, Name = "ratings" });
        var entry = Assert.Single(audit);
        Assert.Equal((ChangeSource.Cli, $"import of {file}"), (entry.Source, entry.Reason));
    }

    [Fact]
    public async Task BackendsThatAreNotStoredServices_ExitOne_NamingEachPath_AndWriteNothing()
    {
        // SMI backends are Kubernetes Services; "ratings-v1" is not a Meshwork service here.
        var file = Path.Combine(directory, "smi.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata: {name: ratings-smi}
            spec:
              service: ratings
              backends:
              - {service: ratings-v1, weight: 75}
              - {service: ratings-v2, weight: 25}
            """);

        var import = await RunAsync("import", "-f", file);

        Assert.Equal(1, import.Code);
        Assert.Contains("rules[0].backendRefs[0].service: unknown service 'ratings-v1'", import.Error);
        Assert.Contains("Nothing was written.", import.Error);
        await using var scope = portal.Services.CreateAsyncScope();
        Assert.Null(await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(new ResourceKey(ResourceKind.HttpRoute, "default", "ratings-smi")));
    }
}
