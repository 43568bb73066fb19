using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.ControlPlane;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson;

namespace Meshwork.ControlPlane.Tests.Kubernetes;

/// <summary>
/// The sidecar injection webhook through its real HTTPS endpoint on a running control plane: the
/// AdmissionReview the API server would send in, the JSON Patch applied to the pod with a JSON Patch
/// library (as the API server applies it), the resulting pod compared field by field.
/// </summary>
public sealed class SidecarInjectionTests(InjectionWebhookFixture fixture) : IClassFixture<InjectionWebhookFixture>
{
    /// <summary>A Deployment's pod as the ReplicaSet controller creates it: generateName, no annotations, volumes or env.</summary>
    private static JsonObject PlainPod() => JsonNode.Parse("""
        {
          "apiVersion": "v1",
          "kind": "Pod",
          "metadata": { "generateName": "orders-v2-7d9f8-", "labels": { "app": "orders", "version": "v2", "pod-template-hash": "7d9f8" } },
          "spec": {
            "containers": [
              { "name": "app", "image": "registry.example.com/shop/orders:2.0", "args": ["backend"],
                "ports": [ { "containerPort": 9090 } ] }
            ]
          }
        }
        """)!.AsObject();

    [Fact]
    public async Task PlainPod_GetsTheProxySidecar_WithItsEnvironment_TokenReference_SecurityContext_AndPrivateStateVolume()
    {
        var (response, pod) = await InjectAsync(PlainPod(), ns: "shop");

        Assert.Equal("705ab4f5-6393-11e8-b7cc-42010a800002", response["uid"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Equal("JSONPatch", response["patchType"]!.GetValue<string>());
        Assert.Equal("true", pod!["metadata"]!["annotations"]!["meshwork.io/injected"]!.GetValue<string>());
        Assert.Equal("7d9f8", pod["metadata"]!["labels"]!["pod-template-hash"]!.GetValue<string>());

        var containers = pod["spec"]!["containers"]!.AsArray();
        Assert.Equal(["app", "meshwork-proxy"], containers.Select(c => c!["name"]!.GetValue<string>()));

        // The app: untouched but for its outbound HTTP going through the sidecar.
        var app = containers[0]!.AsObject();
        Assert.Equal("registry.example.com/shop/orders:2.0", app["image"]!.GetValue<string>());
        Assert.Equal(["backend"], app["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(new Dictionary<string, string> { ["HTTP_PROXY"] = "http://127.0.0.1:15001", ["NO_PROXY"] = "127.0.0.1,localhost" }, PlainEnv(app));
        Assert.Null(app["volumeMounts"]);

        var proxy = containers[1]!.AsObject();
        Assert.Equal(InjectionWebhookFixture.ProxyImage, proxy["image"]!.GetValue<string>());
        Assert.Equal("IfNotPresent", proxy["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string>
        {
            ["Proxy__BindAddress"] = "0.0.0.0",
            ["Proxy__LocalBindAddress"] = "127.0.0.1",
            ["Proxy__AdminPort"] = "15000",
            ["Proxy__InboundPort"] = "15006",
            ["Proxy__OutboundPort"] = "15001",
            ["Proxy__StateDirectory"] = "/var/lib/meshwork/proxy/state",
            ["ControlPlaneClient__Address"] = InjectionWebhookFixture.ControlPlaneAddress,
            ["ControlPlaneClient__TrustBundleFile"] = "/var/run/meshwork/trust/trust-bundle.pem",
            ["ControlPlaneClient__Service"] = "orders",
            ["ControlPlaneClient__Namespace"] = "shop",
            ["ControlPlaneClient__Version"] = "v2",
            ["ControlPlaneClient__AppAddress"] = "127.0.0.1:9090",
            ["ControlPlaneClient__AppHealthPath"] = "/health",
            ["ControlPlaneClient__ProxyId"] = "$(POD_NAME)",
            ["ControlPlaneClient__InstanceAddress"] = "$(POD_IP):15006",
        }, PlainEnv(proxy));
        var env = EnvByName(proxy);
        // $(POD_NAME) and $(POD_IP) expand only from variables defined before them.
        Assert.True(IndexOf(proxy, "POD_NAME") < IndexOf(proxy, "ControlPlaneClient__ProxyId"));
        Assert.True(IndexOf(proxy, "POD_IP") < IndexOf(proxy, "ControlPlaneClient__InstanceAddress"));
        Assert.Equal("metadata.name", env["POD_NAME"]["valueFrom"]!["fieldRef"]!["fieldPath"]!.GetValue<string>());
        Assert.Equal("status.podIP", env["POD_IP"]["valueFrom"]!["fieldRef"]!["fieldPath"]!.GetValue<string>());
        // The token by reference only: the webhook never sees it.
        var token = env["ControlPlaneClient__BootstrapToken"];
        Assert.Null(token["value"]);
        Assert.Equal("orders-bootstrap-token", token["valueFrom"]!["secretKeyRef"]!["name"]!.GetValue<string>());
        Assert.Equal("token", token["valueFrom"]!["secretKeyRef"]!["key"]!.GetValue<string>());
        AssertRealProxySettings(env.Keys);

        var security = proxy["securityContext"]!;
        Assert.True(security["runAsNonRoot"]!.GetValue<bool>());
        Assert.Equal(1654, security["runAsUser"]!.GetValue<long>());
        Assert.True(security["readOnlyRootFilesystem"]!.GetValue<bool>());
        Assert.False(security["allowPrivilegeEscalation"]!.GetValue<bool>());
        Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("RuntimeDefault", security["seccompProfile"]!["type"]!.GetValue<string>());

        Assert.Equal("50m", proxy["resources"]!["requests"]!["cpu"]!.GetValue<string>());
        Assert.Equal("96Mi", proxy["resources"]!["requests"]!["memory"]!.GetValue<string>());
        Assert.Equal("1", proxy["resources"]!["limits"]!["cpu"]!.GetValue<string>());
        Assert.Equal("256Mi", proxy["resources"]!["limits"]!["memory"]!.GetValue<string>());
        // Only the inbound port faces the pod network; admin and outbound are loopback, probed from inside.
        Assert.Equal([15006], proxy["ports"]!.AsArray().Select(p => p!["containerPort"]!.GetValue<int>()));
        Assert.Equal(["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:15000/ready"],
            proxy["readinessProbe"]!["exec"]!["command"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("http://127.0.0.1:15000/alive", proxy["livenessProbe"]!["exec"]!["command"]![4]!.GetValue<string>());

        var mounts = proxy["volumeMounts"]!.AsArray().ToDictionary(m => m!["name"]!.GetValue<string>(), m => m!.AsObject());
        Assert.Equal("/var/lib/meshwork/proxy", mounts["meshwork-proxy-state"]["mountPath"]!.GetValue<string>());
        Assert.Equal("/tmp", mounts["meshwork-proxy-tmp"]["mountPath"]!.GetValue<string>());
        Assert.Equal("/var/run/meshwork/trust", mounts["meshwork-trust-bundle"]["mountPath"]!.GetValue<string>());
        Assert.True(mounts["meshwork-trust-bundle"]["readOnly"]!.GetValue<bool>());

        var volumes = pod["spec"]!["volumes"]!.AsArray().ToDictionary(v => v!["name"]!.GetValue<string>(), v => v!.AsObject());
        Assert.Equal(["meshwork-proxy-state", "meshwork-proxy-tmp", "meshwork-trust-bundle"], volumes.Keys);
        Assert.Empty(volumes["meshwork-proxy-state"]["emptyDir"]!.AsObject());
        Assert.Empty(volumes["meshwork-proxy-tmp"]["emptyDir"]!.AsObject());
        Assert.Equal("meshwork-trust-bundle", volumes["meshwork-trust-bundle"]["configMap"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task InterceptedPod_GetsTheRulesInitContainer_TheSidecarRunsAsTheExemptUser_AndTheAppNoProxySettings()
    {
        var pod = PlainPod();
        pod["metadata"]!["annotations"] = new JsonObject { ["meshwork.io/intercept"] = "true" };
        pod["spec"]!["initContainers"] = new JsonArray(new JsonObject { ["name"] = "migrate", ["image"] = "registry.example.com/shop/migrate:1" });

        var (response, patched) = await InjectAsync(pod);

        Assert.True(response["allowed"]!.GetValue<bool>());
        var containers = patched!["spec"]!["containers"]!.AsArray();
        Assert.Equal(["app", "meshwork-proxy"], containers.Select(c => c!["name"]!.GetValue<string>()));
        // A plain app: its connections reach the sidecar through the nat rules, not HTTP_PROXY.
        Assert.Null(containers[0]!["env"]);

        var proxy = containers[1]!.AsObject();
        var env = PlainEnv(proxy);
        Assert.Equal("15001", env["Proxy__OutboundInterceptPort"]);
        Assert.Equal("15001", env["Proxy__OutboundPort"]);
        AssertRealProxySettings(env.Keys);
        var proxySecurity = proxy["securityContext"]!;
        Assert.Equal(1337, proxySecurity["runAsUser"]!.GetValue<long>());
        Assert.Equal(1337, proxySecurity["runAsGroup"]!.GetValue<long>());
        Assert.True(proxySecurity["runAsNonRoot"]!.GetValue<bool>());

        // The pod's own init containers run first, then the rules (before any container, whatever order the app's init containers need).
        var inits = patched["spec"]!["initContainers"]!.AsArray();
        Assert.Equal(["migrate", "meshwork-init"], inits.Select(c => c!["name"]!.GetValue<string>()));
        var init = inits[1]!.AsObject();
        Assert.Equal(InjectionWebhookFixture.ProxyImage, init["image"]!.GetValue<string>());
        Assert.Equal("IfNotPresent", init["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal(["init-iptables", "--outbound-port", "15001", "--proxy-uid", "1337", "--proxy-gid", "1337"],
            init["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Null(init["command"]);
        var security = init["securityContext"]!;
        Assert.Equal(0, security["runAsUser"]!.GetValue<long>());
        Assert.Equal(0, security["runAsGroup"]!.GetValue<long>());
        Assert.False(security["runAsNonRoot"]!.GetValue<bool>());
        Assert.False(security["allowPrivilegeEscalation"]!.GetValue<bool>());
        Assert.Equal(["NET_ADMIN", "NET_RAW"], security["capabilities"]!["add"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("RuntimeDefault", security["seccompProfile"]!["type"]!.GetValue<string>());
        Assert.Null(init["volumeMounts"]);
    }

    [Fact]
    public async Task PodWithoutInterception_GetsNoInitContainer_AndAnInterceptAnnotationOtherThanTrueOrFalseIsRefused()
    {
        var (_, plain) = await InjectAsync(PlainPod());
        Assert.Null(plain!["spec"]!["initContainers"]);
        Assert.False(PlainEnv(plain["spec"]!["containers"]![1]!.AsObject()).ContainsKey("Proxy__OutboundInterceptPort"));

        var pod = PlainPod();
        pod["metadata"]!["annotations"] = new JsonObject { ["meshwork.io/intercept"] = "yes" };
        var (response, patched) = await InjectAsync(pod);

        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Null(patched);
        Assert.Contains("annotation meshwork.io/intercept is \"yes\"; it must be \"true\" or \"false\"", response["status"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task PodWithItsOwnAnnotationsEnvAndVolumes_KeepsThem_AndAnnotationsOverrideTheLabels()
    {
        var pod = PlainPod();
        pod["metadata"]!["annotations"] = new JsonObject
        {
            ["team"] = "checkout",
            ["meshwork.io/service"] = "orders-api",
            ["meshwork.io/namespace"] = "default",
            ["meshwork.io/app-port"] = "8080",
            ["meshwork.io/app-health-path"] = "/healthz",
            ["meshwork.io/bootstrap-token-secret"] = "mesh-tokens",
        };
        var app = pod["spec"]!["containers"]![0]!.AsObject();
        app["env"] = new JsonArray(new JsonObject { ["name"] = "NO_PROXY", ["value"] = "internal.example.com" }, new JsonObject { ["name"] = "MODE", ["value"] = "fast" });
        app["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "cache", ["mountPath"] = "/cache" });
        pod["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "cache", ["emptyDir"] = new JsonObject() });
        pod["spec"]!["containers"]!.AsArray().Add(new JsonObject { ["name"] = "worker", ["image"] = "registry.example.com/shop/worker:1" });

        var (_, injected) = await InjectAsync(pod, ns: "shop");

        Assert.Equal("checkout", injected!["metadata"]!["annotations"]!["team"]!.GetValue<string>());
        Assert.Equal("true", injected["metadata"]!["annotations"]!["meshwork.io/injected"]!.GetValue<string>());
        var containers = injected["spec"]!["containers"]!.AsArray();
        Assert.Equal(["app", "worker", "meshwork-proxy"], containers.Select(c => c!["name"]!.GetValue<string>()));
        // The app's own NO_PROXY stands; only what it lacks is added.
        Assert.Equal(new Dictionary<string, string> { ["NO_PROXY"] = "internal.example.com", ["MODE"] = "fast", ["HTTP_PROXY"] = "http://127.0.0.1:15001" }, PlainEnv(containers[0]!.AsObject()));
        Assert.Equal(new Dictionary<string, string> { ["HTTP_PROXY"] = "http://127.0.0.1:15001", ["NO_PROXY"] = "127.0.0.1,localhost" }, PlainEnv(containers[1]!.AsObject()));
        Assert.Equal(["cache", "meshwork-proxy-state", "meshwork-proxy-tmp", "meshwork-trust-bundle"],
            injected["spec"]!["volumes"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()));

        var proxy = EnvByName(containers[2]!.AsObject());
        Assert.Equal("orders-api", proxy["ControlPlaneClient__Service"]["value"]!.GetValue<string>());
        Assert.Equal("default", proxy["ControlPlaneClient__Namespace"]["value"]!.GetValue<string>());
        Assert.Equal("v2", proxy["ControlPlaneClient__Version"]["value"]!.GetValue<string>());
        Assert.Equal("127.0.0.1:8080", proxy["ControlPlaneClient__AppAddress"]["value"]!.GetValue<string>());
        Assert.Equal("/healthz", proxy["ControlPlaneClient__AppHealthPath"]["value"]!.GetValue<string>());
        Assert.Equal("mesh-tokens", proxy["ControlPlaneClient__BootstrapToken"]["valueFrom"]!["secretKeyRef"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task OptedOutPod_IsAdmittedUnchanged()
    {
        var pod = PlainPod();
        pod["metadata"]!["annotations"] = new JsonObject { ["meshwork.io/inject"] = "false" };

        var (response, patched) = await InjectAsync(pod);

        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Null(response["patch"]);
        Assert.Null(patched);
    }

    [Fact]
    public async Task InjectedPod_SentAgain_IsLeftAsItIs()
    {
        var (_, injected) = await InjectAsync(PlainPod());

        var (again, patched) = await InjectAsync(injected!);

        Assert.True(again["allowed"]!.GetValue<bool>());
        Assert.Null(again["patch"]);
        Assert.Null(patched);
        Assert.Single(injected!["spec"]!["containers"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "meshwork-proxy");
    }

    [Theory]
    [InlineData(null, "no service name: label the pod with meshwork.io/service, app.kubernetes.io/name or app")]
    [InlineData("Orders_API", "service 'Orders_API' is not a valid name")]
    public async Task PodWithoutAValidServiceName_IsRefused_SayingWhy(string? app, string message)
    {
        var pod = PlainPod();
        pod["metadata"]!["labels"] = app is null ? new JsonObject() : new JsonObject { ["app"] = app };

        var (response, patched) = await InjectAsync(pod);

        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Null(patched);
        Assert.Equal(403, response["status"]!["code"]!.GetValue<int>());
        Assert.Contains(message, response["status"]!["message"]!.GetValue<string>());
    }

    public static TheoryData<string, string> MalformedReviews => new()
    {
        { "{\"apiVersion\": ", "the body is not valid JSON" },
        { "[1, 2]", "the body is not a JSON object (an AdmissionReview)" },
        { """{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}""", "apiVersion is 'admission.k8s.io/v1beta1', expected 'admission.k8s.io/v1'" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", "request is missing" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"","kind":{"kind":"Pod"},"operation":"CREATE"}}""", "request.uid is missing or empty" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"kind":"Pod"},"operation":"CREATE","object":{"metadata":{},"spec":{"containers":{}}}}}""", "request.object.spec.containers is not an array" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"kind":"Pod"},"operation":"CREATE","object":{"spec":{"containers":[{"name":"app"}]}}}}""", "request.object.metadata is missing" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"kind":"Pod"},"operation":"CREATE","object":{"metadata":{},"spec":{"containers":[{"name":"app","env":[7]}]}}}}""", "request.object.spec.containers[0].env[0] is not an object" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"kind":"Pod"},"operation":"CREATE","object":{"metadata":{"labels":{"app":1}},"spec":{"containers":[{"name":"app"}]}}}}""", "request.object.metadata.labels['app'] is not a string" },
        { """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","uid":"u2","kind":{"kind":"Pod"},"operation":"CREATE"}}""", "the body is not valid JSON" },
        { new string('[', 200) + new string(']', 200), "the body is not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(MalformedReviews))]
    public async Task MalformedReview_Answers400_NamingTheFieldAtFault(string body, string problem)
    {
        using var response = await fixture.PostAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();
        Assert.StartsWith(problem, detail);
    }

    [Fact]
    public async Task OversizedReview_Answers413_AndAWrongContentType415()
    {
        var pod = PlainPod();
        pod["metadata"]!["annotations"] = new JsonObject { ["padding"] = new string('x', fixture.MaxReviewBytes) };
        using var tooLarge = await fixture.PostAsync(InjectionWebhookFixture.ReviewOf(pod).ToJsonString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains("larger than 262144 bytes", await tooLarge.Content.ReadAsStringAsync());

        using var text = await fixture.PostAsync(InjectionWebhookFixture.ReviewOf(PlainPod()).ToJsonString(), "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
    }

    /// <summary>The review's response, and the pod with its patch applied (null when there was no patch).</summary>
    private async Task<(JsonObject Response, JsonObject? Pod)> InjectAsync(JsonObject pod, string ns = "shop")
    {
        using var http = await fixture.PostAsync(InjectionWebhookFixture.ReviewOf(pod, ns).ToJsonString());
        var body = await http.Content.ReadAsStringAsync();
        Assert.True(http.IsSuccessStatusCode, $"{(int)http.StatusCode}: {body}");
        var review = JsonNode.Parse(body)!.AsObject();
        Assert.Equal("admission.k8s.io/v1", review["apiVersion"]!.GetValue<string>());
        Assert.Equal("AdmissionReview", review["kind"]!.GetValue<string>());
        var response = review["response"]!.AsObject();
        if (response["patch"] is not { } patch) return (response, null);

        var patchJson = Convert.FromBase64String(patch.GetValue<string>());
        // RFC 6902 as the API server reads it: "add" operations only (nothing of the pod is removed or replaced), each op, path and value.
        foreach (var operation in JsonNode.Parse(patchJson)!.AsArray())
            Assert.True(operation!.AsObject().Select(p => p.Key).Order().SequenceEqual(["op", "path", "value"]) && operation["op"]!.GetValue<string>() == "add",
                $"not an add operation with op, path and value: {operation.ToJsonString()}");
        var operations = JsonSerializer.Deserialize<JsonPatchDocument>(patchJson)!;
        var patched = pod.DeepClone().AsObject();
        operations.ApplyTo(patched);
        return (response, patched);
    }

    private static Dictionary<string, JsonObject> EnvByName(JsonObject container) =>
        container["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!.AsObject());

    /// <summary>The env entries with a literal value.</summary>
    private static Dictionary<string, string> PlainEnv(JsonObject container) =>
        EnvByName(container).Where(e => e.Value["value"] is not null).ToDictionary(e => e.Key, e => e.Value["value"]!.GetValue<string>());

    private static int IndexOf(JsonObject container, string name) =>
        container["env"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ToList().IndexOf(name);

    /// <summary>Every Proxy__X / ControlPlaneClient__X the webhook sets is a settable property of the proxy's options.</summary>
    private static void AssertRealProxySettings(IEnumerable<string> names)
    {
        var sections = new Dictionary<string, Type> { ["Proxy"] = typeof(ProxyOptions), ["ControlPlaneClient"] = typeof(ControlPlaneClientOptions) };
        foreach (var name in names.Where(n => n.Contains("__")))
        {
            var parts = name.Split("__");
            Assert.True(sections.TryGetValue(parts[0], out var type), $"{name}: no such section");
            Assert.True(type!.GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance)?.CanWrite == true, $"{name}: no settable {type.Name}.{parts[1]}");
        }
    }
}
