using System.Text.Json.Nodes;
using k8s;
using Meshwork.Portal.Deployments;
using Meshwork.Store;
using Meshwork.Testing.Kubernetes;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Waiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// The Kubernetes deployment driver against <see cref="FakeKubernetesApiServer"/>: the API server is a
/// true external boundary (no cluster runs here), so a real HTTP server in the test records what the
/// driver sends and serves the pods whose status it maps. The driver, the official client and the
/// audit log (real PostgreSQL) are the real ones.
/// </summary>
public sealed class KubernetesDeploymentDriverTests : IAsyncLifetime
{
    private const string Deployments = "/apis/apps/v1/deployments";
    private const string Pods = "/api/v1/pods";
    private const string Secrets = "/api/v1/secrets";
    private static readonly ChangeActor Operator = new("operator@meshwork.test", ChangeSource.Portal);

    private readonly KubernetesDriverOptions options = new() { Namespace = "shop", DemoAppsImage = "registry.example.com/meshwork/demoapps:1.0", StartTimeout = TimeSpan.FromMinutes(2) };
    private FakeKubernetesApiServer api = null!;
    private ServiceProvider services = null!;
    private KubernetesDeploymentDriver driver = null!;
    private string connectionString = "";

    public async Task InitializeAsync()
    {
        api = await FakeKubernetesApiServer.StartAsync();
        connectionString = await MigratedDatabase.CreateAsync();
        services = new ServiceCollection().AddLogging().AddMeshworkStore(connectionString).BuildServiceProvider();
        var client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = api.Url });
        driver = new KubernetesDeploymentDriver(options, client, services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System,
            NullLogger<KubernetesDeploymentDriver>.Instance);
    }

    public async Task DisposeAsync()
    {
        driver.Dispose();
        await services.DisposeAsync();
        await api.DisposeAsync();
    }

    [Fact]
    public async Task Deploy_CreatesAnInjectedDeployment_WaitsForItsPodsReady_AndIsAudited()
    {
        var progress = new List<string>();
        var deploying = driver.DeployAsync(new DeployRequest("reviews", "v2", 2, LatencyMs: 20, ErrorRate: 0.1), Operator, new SynchronousProgress(progress));

        var create = await Eventually.ValueAsync(() => api.Requests.FirstOrDefault(r => r.Method == "POST" && r.Path.EndsWith("/deployments")), "the Deployment was created");
        Assert.Equal("/apis/apps/v1/namespaces/shop/deployments", create.Path);
        // Its sidecars' bootstrap token was written first, to the Secret the pod template names.
        var writeSecret = api.Requests.First(r => r.Method == "POST");
        Assert.Equal("/api/v1/namespaces/shop/secrets", writeSecret.Path);
        await AssertTokenSecretAsync("reviews", "v2");
        var body = create.Json!;
        Assert.Equal(("apps/v1", "Deployment", "reviews-v2", "shop"),
            ((string?)body["apiVersion"], (string?)body["kind"], (string?)body["metadata"]!["name"], (string?)body["metadata"]!["namespace"]));
        var labels = body["metadata"]!["labels"]!.AsObject();
        Assert.Equal(("meshwork-portal", "reviews", "v2", "reviews"),
            ((string?)labels["app.kubernetes.io/managed-by"], (string?)labels["app.kubernetes.io/name"], (string?)labels["app.kubernetes.io/version"], (string?)labels["meshwork.io/role"]));
        Assert.Equal(2, (int?)body["spec"]!["replicas"]);
        var selector = body["spec"]!["selector"]!["matchLabels"]!.AsObject();
        Assert.Equal(["app.kubernetes.io/managed-by", "app.kubernetes.io/name", "app.kubernetes.io/version"], selector.Select(p => p.Key).Order());
        var template = body["spec"]!["template"]!;
        Assert.Equal(labels.ToJsonString(), template["metadata"]!["labels"]!.ToJsonString());
        var annotations = template["metadata"]!["annotations"]!;
        Assert.Equal(("true", "8080", "reviews-v2-bootstrap-token"),
            ((string?)annotations["meshwork.io/inject"], (string?)annotations["meshwork.io/app-port"], (string?)annotations["meshwork.io/bootstrap-token-secret"]));
        var container = template["spec"]!["containers"]!.AsArray().Single()!;
        Assert.Equal(("app", "registry.example.com/meshwork/demoapps:1.0", "IfNotPresent"),
            ((string?)container["name"], (string?)container["image"], (string?)container["imagePullPolicy"]));
        Assert.Equal(["reviews", "--urls", "http://0.0.0.0:8080", "--Demo:Service", "reviews", "--Demo:Version", "v2", "--Demo:Instance", "$(POD_NAME)",
            "--Demo:LatencyMs", "20", "--Demo:ErrorRate", "0.1"], container["args"]!.AsArray().Select(a => (string?)a));
        Assert.Equal("metadata.name", (string?)container["env"]![0]!["valueFrom"]!["fieldRef"]!["fieldPath"]);
        Assert.Equal((8080, "/health"), ((int?)container["ports"]![0]!["containerPort"], (string?)container["readinessProbe"]!["httpGet"]!["path"]));
        Assert.Equal((true, false, "ALL"), ((bool?)container["securityContext"]!["runAsNonRoot"], (bool?)container["securityContext"]!["allowPrivilegeEscalation"],
            (string?)container["securityContext"]!["capabilities"]!["drop"]![0]));

        // The pods come up (as the Deployment controller and kubelet would report them): the deploy completes.
        api.Put(Pods, Pod("reviews-v2-7f9c-a", ready: false));
        api.Put(Pods, Pod("reviews-v2-7f9c-b", ready: false));
        await Eventually.HoldsAsync(() => Task.FromResult(Progress(progress).Contains("reviews-v2-7f9c-a: starting")), "progress shows the pods starting");
        Assert.False(deploying.IsCompleted);
        api.Put(Pods, Pod("reviews-v2-7f9c-a", ready: true));
        api.Put(Pods, Pod("reviews-v2-7f9c-b", ready: true));
        var result = await deploying.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Contains("reviews-v2-7f9c-b: running", Progress(progress));
        Assert.Equal(["reviews-v2-7f9c-a", "reviews-v2-7f9c-b"], driver.Instances.Select(i => i.Id));
        Assert.All(driver.Instances, i => Assert.Equal(("shop", "reviews", "v2", i.Id), (i.Namespace, i.Service, i.Version, i.ProxyId)));
        await using (var db = MigratedDatabase.OpenSession(connectionString))
        {
            var deploy = Assert.Single(await new AuditLog(db).QueryAsync(new AuditQuery { Action = ChangeAction.Deploy, Name = "reviews/v2" }));
            Assert.Equal((Operator.Name, "Fleet/shop/reviews/v2"), (deploy.Actor, deploy.Subject));
        }

        var again = await driver.DeployAsync(new DeployRequest("reviews", "v2", 1), Operator);
        Assert.Equal(["version: reviews v2 is deployed already; scale it instead"], again.Errors);
        var invalid = await driver.DeployAsync(new DeployRequest("Reviews!", "v3", 11), Operator);
        Assert.Contains(invalid.Errors, e => e.StartsWith("service: 'Reviews!'", StringComparison.Ordinal));
        Assert.Contains(invalid.Errors, e => e.StartsWith("instances:", StringComparison.Ordinal));
        // The refused request never reached the API server; the duplicate did (and got 409).
        Assert.Equal(2, api.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/deployments")));
    }

    [Fact]
    public async Task Scale_PatchesTheReplicasWithAMergePatch_AndRefusesWhatIsNotThePortals()
    {
        api.Put(Deployments, Deployment("ratings-v1", new JsonObject { ["app.kubernetes.io/managed-by"] = "meshwork-portal" }));
        api.Put(Deployments, Deployment("legacy-v1", new JsonObject { ["app"] = "legacy" }));

        var scaled = await driver.ScaleAsync("ratings", "v1", 3, Operator);

        Assert.True(scaled.Succeeded, string.Join("; ", scaled.Errors));
        var patch = Assert.Single(api.Requests, r => r.Method == "PATCH" && r.Path.Contains("/deployments/"));
        Assert.Equal(("/apis/apps/v1/namespaces/shop/deployments/ratings-v1", "application/merge-patch+json"), (patch.Path, patch.ContentType?.Split(';')[0]));
        Assert.Equal("""{"spec":{"replicas":3}}""", patch.Body);
        Assert.Equal(3, (int?)api.Get(Deployments, "shop", "ratings-v1")!["spec"]!["replicas"]);
        // Scaling up wrote a fresh token for the new pods.
        await AssertTokenSecretAsync("ratings", "v1");
        await using (var db = MigratedDatabase.OpenSession(connectionString))
        {
            var entry = Assert.Single(await new AuditLog(db).QueryAsync(new AuditQuery { Action = ChangeAction.Scale, Name = "ratings/v1" }));
            Assert.Contains("\"to\":3", entry.AfterJson);
        }

        Assert.Equal(["service: details v1 is not deployed here (no Deployment details-v1); deploy it first"], (await driver.ScaleAsync("details", "v1", 2, Operator)).Errors);
        Assert.Equal(["service: Deployment legacy-v1 is not the portal's (app.kubernetes.io/managed-by=meshwork-portal); it is left alone"],
            (await driver.ScaleAsync("legacy", "v1", 2, Operator)).Errors);
        Assert.Equal(["instances: must be 0 to 10 (got 11)"], (await driver.ScaleAsync("ratings", "v1", 11, Operator)).Errors);
        Assert.Single(api.Requests, r => r.Method == "PATCH" && r.Path.Contains("/deployments/"));
        // No token for a refused scale.
        Assert.Single(api.Requests, r => r.Path.Contains("/secrets"));

        // Scaling up again replaces the token in the Secret that exists now (a merge patch of its data).
        var previous = (string?)api.Get(Secrets, "shop", "ratings-v1-bootstrap-token")!["data"]!["token"];
        Assert.True((await driver.ScaleAsync("ratings", "v1", 5, Operator)).Succeeded);
        var replaced = Assert.Single(api.Requests, r => r.Method == "PATCH" && r.Path == "/api/v1/namespaces/shop/secrets/ratings-v1-bootstrap-token");
        Assert.Equal("application/merge-patch+json", replaced.ContentType?.Split(';')[0]);
        Assert.NotEqual(previous, (string?)api.Get(Secrets, "shop", "ratings-v1-bootstrap-token")!["data"]!["token"]);
        await AssertTokenSecretAsync("ratings", "v1");

        // Scaling down asks for no new pods: no token.
        var secretWrites = api.Requests.Count(r => r.Path.Contains("/secrets"));
        Assert.True((await driver.ScaleAsync("ratings", "v1", 1, Operator)).Succeeded);
        Assert.Equal(secretWrites, api.Requests.Count(r => r.Path.Contains("/secrets")));
    }

    [Fact]
    public async Task Instances_MapPodStatus_AndRestartDeletesThePod()
    {
        api.Put(Pods, Pod("reviews-v1-a", ready: true, restarts: 1));
        api.Put(Pods, Pod("reviews-v1-b", ready: false, restarts: 4, waiting: ("CrashLoopBackOff", "back-off 40s restarting failed container")));
        api.Put(Pods, Pod("reviews-v1-c", ready: false, waiting: ("ImagePullBackOff", "pull access denied")));
        api.Put(Pods, Pod("reviews-v1-d", ready: false, waiting: ("ContainerCreating", "")));
        var terminating = Pod("reviews-v1-e", ready: true);
        terminating["metadata"]!["deletionTimestamp"] = "2026-12-04T10:00:00Z";
        api.Put(Pods, terminating);
        var mislabelled = Pod("reviews-v1-f", ready: true);
        mislabelled["metadata"]!["labels"]!["app.kubernetes.io/version"] = "V_1";
        api.Put(Pods, mislabelled);

        await driver.RefreshAsync(CancellationToken.None);

        Assert.Equal(
        [
            ("reviews-v1-a", InstanceState.Running, 1, (string?)null),
            ("reviews-v1-b", InstanceState.CrashLooping, 4, "container app: CrashLoopBackOff: back-off 40s restarting failed container"),
            ("reviews-v1-c", InstanceState.Starting, 0, "container app: ImagePullBackOff: pull access denied"),
            ("reviews-v1-d", InstanceState.Starting, 0, null),
            ("reviews-v1-e", InstanceState.Stopped, 0, null),
        ], driver.Instances.Select(i => (i.Id, i.State, i.Restarts, i.LastError)));
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 9, 0, 0, TimeSpan.Zero), driver.Instances[0].StartedAt);

        var restarted = await driver.RestartAsync("reviews-v1-b", Operator);
        Assert.True(restarted.Succeeded, string.Join("; ", restarted.Errors));
        Assert.Single(api.Requests, r => r.Method == "DELETE" && r.Path == "/api/v1/namespaces/shop/pods/reviews-v1-b");
        Assert.DoesNotContain(driver.Instances, i => i.Id == "reviews-v1-b");
        await using (var db = MigratedDatabase.OpenSession(connectionString))
            Assert.Single(await new AuditLog(db).QueryAsync(new AuditQuery { Action = ChangeAction.Restart, Name = "reviews-v1-b" }));

        // Logs: the last bytes of the container's log through the API server's log endpoint.
        api.SetLog("shop", "reviews-v1-a", "meshwork-proxy", string.Concat(Enumerable.Range(1, 500).Select(i => $"proxy line {i:000}\n")));
        var log = await driver.ReadLogAsync("reviews-v1-a", "sidecar", 64);
        Assert.Equal(64, log!.Length);
        Assert.EndsWith("proxy line 500\n", log);
        Assert.Contains(api.Requests, r => r.Path == "/api/v1/namespaces/shop/pods/reviews-v1-a/log" && r.Query.Contains("container=meshwork-proxy"));
        Assert.StartsWith("(no app log from the Kubernetes API server: 400", await driver.ReadLogAsync("reviews-v1-a", "app", 1024));
        Assert.Null(await driver.ReadLogAsync("reviews-v9-z", "app", 1024));
        Assert.Null(await driver.ReadLogAsync("reviews-v1-a", "database", 1024));

        Assert.Equal(["instance: no pod 'reviews-v9-z' of this driver in namespace shop"], (await driver.RestartAsync("reviews-v9-z", Operator)).Errors);
        Assert.StartsWith("instance: a pod of a Kubernetes Deployment cannot be stopped on its own", (await driver.StopAsync("reviews-v1-a", Operator)).Errors.Single());
        // The restart's replacement pod joins with a token written before the pod was deleted.
        await AssertTokenSecretAsync("reviews", "v1");
        Assert.DoesNotContain(api.Requests, r => r.Method is "PATCH" or "POST" && !r.Path.Contains("/secrets"));
    }

    /// <summary>
    /// The version's Secret holds a live bootstrap token for exactly that namespace and service, as the control plane
    /// looks it up when a sidecar joins (by the secret's hash), issued as the operator.
    /// </summary>
    private async Task AssertTokenSecretAsync(string service, string version)
    {
        var secret = api.Get(Secrets, "shop", $"{service}-{version}-bootstrap-token");
        Assert.NotNull(secret);
        Assert.Equal(("Opaque", "meshwork-portal", service, version), ((string?)secret["type"], (string?)secret["metadata"]!["labels"]!["app.kubernetes.io/managed-by"],
            (string?)secret["metadata"]!["labels"]!["app.kubernetes.io/name"], (string?)secret["metadata"]!["labels"]!["app.kubernetes.io/version"]));
        var token = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["token"]!));
        var stored = await services.GetRequiredService<BootstrapTokenStore>().FindByHashAsync(BootstrapTokenService.Hash(token), CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(("shop", service, Operator.Name), (stored.Namespace, stored.Service, stored.CreatedBy));
        Assert.True(stored.ExpiresAt > DateTimeOffset.UtcNow && stored.RevokedAt is null);
    }

    private static List<string> Progress(List<string> lines)
    {
        lock (lines) return [.. lines];
    }

    private static JsonObject Pod(string name, bool ready, int restarts = 0, (string Reason, string Message)? waiting = null)
    {
        var version = name.Split('-')[1];
        var state = waiting is { } w
            ? new JsonObject { ["waiting"] = new JsonObject { ["reason"] = w.Reason, ["message"] = w.Message } }
            : new JsonObject { ["running"] = new JsonObject { ["startedAt"] = "2026-12-04T09:00:05Z" } };
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = "shop",
                ["labels"] = new JsonObject
                {
                    ["app.kubernetes.io/managed-by"] = "meshwork-portal",
                    ["app.kubernetes.io/name"] = name.Split('-')[0],
                    ["app.kubernetes.io/version"] = version,
                    ["meshwork.io/role"] = "reviews",
                },
            },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "demoapps:1" }) },
            ["status"] = new JsonObject
            {
                ["phase"] = ready ? "Running" : "Pending",
                ["startTime"] = "2026-12-04T09:00:00Z",
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }),
                ["containerStatuses"] = new JsonArray(new JsonObject
                {
                    ["name"] = "app", ["ready"] = ready, ["restartCount"] = restarts, ["image"] = "demoapps:1", ["imageID"] = "", ["state"] = state,
                }),
            },
        };
    }

    private static JsonObject Deployment(string name, JsonObject labels) => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "Deployment",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "shop", ["labels"] = labels },
        ["spec"] = new JsonObject { ["replicas"] = 1 },
    };
}
