using System.Text.Json.Nodes;
using Meshwork.Portal.Deployments;
using Meshwork.Testing.Kubernetes;
using Meshwork.Testing.Waiting;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// The real portal with Portal:Fleet:Driver = Kubernetes: configuration chooses the Kubernetes driver,
/// which reaches the API server through a kubeconfig file and lists its pods on its own; bad settings
/// stop the start naming the setting. The API server is <see cref="FakeKubernetesApiServer"/> (a true
/// external boundary: no cluster runs here).
/// </summary>
public sealed class KubernetesFleetHostingTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("meshwork-kubeconfig-").FullName;
    private FakeKubernetesApiServer api = null!;

    public async Task InitializeAsync() => api = await FakeKubernetesApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task DriverKubernetes_ChoosesTheKubernetesDriver_WhichListsThePodsThroughTheKubeconfig()
    {
        api.Put("/api/v1/pods", new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "catalog-v2-5d8f-x",
                ["namespace"] = "shop",
                ["labels"] = new JsonObject
                {
                    ["app.kubernetes.io/managed-by"] = "meshwork-portal", ["app.kubernetes.io/name"] = "catalog", ["app.kubernetes.io/version"] = "v2",
                },
            },
            ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) },
        });
        await using var portal = new PortalFactory { Settings = Settings("shop", KubeConfig()) };
        await portal.InitializeAsync();

        var driver = portal.Services.GetRequiredService<IDeploymentDriver>();

        Assert.IsType<KubernetesDeploymentDriver>(driver);
        Assert.Equal("Kubernetes namespace shop", driver.Description);
        var pod = await Eventually.ValueAsync(() => driver.Instances.SingleOrDefault(), "the pod listed");
        Assert.Equal(("catalog-v2-5d8f-x", "catalog", "v2", InstanceState.Running), (pod.Id, pod.Service, pod.Version, pod.State));
        Assert.Contains(api.Requests, r => r.Path == "/api/v1/namespaces/shop/pods" && r.Query.Contains("labelSelector=app.kubernetes.io%2Fmanaged-by%3Dmeshwork-portal"));
    }

    [Fact]
    public async Task DriverKubernetes_BadSettings_StopTheStartNamingEachSetting()
    {
        await using var portal = new PortalFactory { Settings = Settings("Shop_Namespace", Path.Combine(folder, "missing.yaml"), image: "") };

        var error = await Assert.ThrowsAnyAsync<Exception>(portal.InitializeAsync);

        var message = error.ToString();
        Assert.Contains("Portal:Fleet:Kubernetes:Namespace 'Shop_Namespace' is not a Kubernetes namespace name", message);
        Assert.Contains("Portal:Fleet:Kubernetes:KubeConfigFile", message);
        Assert.Contains("Portal:Fleet:Kubernetes:DemoAppsImage is not set", message);
    }

    private static Dictionary<string, string> Settings(string ns, string kubeConfig, string image = "registry.example.com/meshwork/demoapps:1.0") => new()
    {
        ["Portal:Fleet:Driver"] = "Kubernetes",
        ["Portal:Fleet:Kubernetes:Namespace"] = ns,
        ["Portal:Fleet:Kubernetes:KubeConfigFile"] = kubeConfig,
        ["Portal:Fleet:Kubernetes:DemoAppsImage"] = image,
        ["Portal:Fleet:Kubernetes:StatusInterval"] = "00:00:01",
    };

    private string KubeConfig()
    {
        var path = Path.Combine(folder, "kubeconfig.yaml");
        File.WriteAllText(path, $$"""
            apiVersion: v1
            kind: Config
            clusters:
              - name: fake
                cluster: { server: "{{api.Url}}" }
            users:
              - name: portal
                user: { token: test-token }
            contexts:
              - name: fake
                context: { cluster: fake, user: portal }
            current-context: fake
            """);
        return path;
    }
}
