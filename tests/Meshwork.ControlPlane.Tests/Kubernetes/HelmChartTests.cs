using System.Reflection;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.Configuration;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Meshwork.ControlPlane.Tests.Kubernetes;

/// <summary>deploy/helm/meshwork linted and rendered by the real helm; the rendered YAML parsed and checked.</summary>
public sealed class HelmChartTests(Helm helm) : IClassFixture<Helm>
{
    private const string CaBundle = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==";

    [Fact]
    public async Task Chart_PassesStrictLint()
    {
        var (exit, output, error) = await helm.RunAsync("lint", "--strict", Helm.Chart, "--set", $"webhook.caBundle={CaBundle}");

        Assert.True(exit == 0, $"helm lint failed:\n{output}\n{error}");
        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", output);
    }

    [Fact]
    public async Task Template_RendersTwoControlPlaneReplicas_AWebhookThatReachesThem_AndThePortalWiredToBoth()
    {
        var manifests = await RenderAsync("--set", $"webhook.caBundle={CaBundle}", "--set", "images.proxy.tag=1.2.3", "--set", "postgresql.host=db.example.internal");

        var controlPlane = Single(manifests, "Deployment", "meshwork-control-plane");
        Assert.Equal("2", Text(controlPlane["spec"]!["replicas"]));
        var cpPod = controlPlane["spec"]!["template"]!.AsObject();
        var cpContainer = cpPod["spec"]!["containers"]![0]!.AsObject();
        Assert.Equal("meshwork/control-plane:dev", Text(cpContainer["image"]));
        var cpSettings = Single(manifests, "ConfigMap", "meshwork-control-plane")["data"]!.AsObject();
        Assert.Equal("meshwork-control-plane,meshwork-control-plane.meshwork.svc", Text(cpSettings["ControlPlane__GrpcTlsHostNames"]));
        Assert.Equal("meshwork/proxy:1.2.3", Text(cpSettings["ControlPlane__Injection__ProxyImage"]));
        Assert.Equal("https://meshwork-control-plane.meshwork.svc:15010", Text(cpSettings["ControlPlane__Injection__ControlPlaneAddress"]));
        Assert.Equal("false", Text(cpSettings["ControlPlane__Injection__Interception"]));
        AssertControlPlaneSettingsExist(cpSettings.Select(s => s.Key).Concat(Env(cpContainer).Keys));
        AssertConnectionString(cpContainer, "meshwork_control_plane", "control-plane-password");

        // The webhook: configuration -> its Service -> a named port of the control plane pods -> the port the control plane serves /inject on.
        var webhookConfig = Single(manifests, "MutatingWebhookConfiguration", "meshwork-sidecar-injector-meshwork");
        var hook = webhookConfig["webhooks"]![0]!.AsObject();
        var target = hook["clientConfig"]!["service"]!.AsObject();
        Assert.Equal("meshwork", Text(target["namespace"]));
        Assert.Equal("/inject", Text(target["path"]));
        Assert.Equal(CaBundle, Text(hook["clientConfig"]!["caBundle"]));
        Assert.Equal(["v1"], hook["admissionReviewVersions"]!.AsArray().Select(Text));
        Assert.Equal("None", Text(hook["sideEffects"]));
        Assert.Equal(["CREATE"], hook["rules"]![0]!["operations"]!.AsArray().Select(Text));
        Assert.Equal(["pods"], hook["rules"]![0]!["resources"]!.AsArray().Select(Text));
        Assert.Equal("enabled", Text(hook["namespaceSelector"]!["matchLabels"]!["meshwork.io/inject"]));
        var webhookService = Single(manifests, "Service", Text(target["name"])!);
        Assert.Equal(Text(target["port"]), Text(webhookService["spec"]!["ports"]![0]!["port"]));
        foreach (var (label, value) in webhookService["spec"]!["selector"]!.AsObject())
            Assert.Equal(Text(value), Text(cpPod["metadata"]!["labels"]![label]));
        var targetPort = Text(webhookService["spec"]!["ports"]![0]!["targetPort"]);
        var namedPort = cpContainer["ports"]!.AsArray().Single(p => Text(p!["name"]) == targetPort)!;
        Assert.Equal(Text(cpSettings["ControlPlane__Injection__Port"]), Text(namedPort["containerPort"]));
        var tlsVolume = cpPod["spec"]!["volumes"]!.AsArray().Single(v => Text(v!["name"]) == "webhook-tls")!;
        Assert.Equal("meshwork-sidecar-injector-tls", Text(tlsVolume["secret"]!["secretName"]));
        Assert.Equal("/var/run/meshwork/webhook/tls.crt", Text(cpSettings["ControlPlane__Injection__CertificateFile"]));

        var portal = Single(manifests, "Deployment", "meshwork-portal");
        var portalContainer = portal["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();
        Assert.Equal("meshwork/portal:dev", Text(portalContainer["image"]));
        var portalSettings = Single(manifests, "ConfigMap", "meshwork-portal")["data"]!.AsObject();
        Assert.Equal("https://meshwork-control-plane.meshwork.svc:15010", Text(portalSettings["Portal__ControlPlane__Address"]));
        Assert.Equal("true", Text(portalSettings["Portal__RequireHttps"]));
        AssertConnectionString(portalContainer, "meshwork_portal", "portal-password");
        Assert.Equal("meshwork-control-plane", Text(Env(portalContainer)["Portal__ControlPlane__StatusToken"]["valueFrom"]!["secretKeyRef"]!["name"]));
        Assert.Equal("password", Text(Env(portalContainer)["Portal__Admin__Password"]["valueFrom"]!["secretKeyRef"]!["key"]));
        var migrate = portal["spec"]!["template"]!["spec"]!["initContainers"]![0]!.AsObject();
        AssertConnectionString(migrate, "meshwork", "owner-password");
        Assert.Equal("http", Text(Single(manifests, "Service", "meshwork-portal")["spec"]!["ports"]![0]!["targetPort"]));

        foreach (var deployment in manifests.Where(m => Text(m["kind"]) == "Deployment"))
        {
            var pod = deployment["spec"]!["template"]!["spec"]!;
            Assert.Equal("true", Text(pod["securityContext"]!["runAsNonRoot"]));
            foreach (var container in pod["containers"]!.AsArray().Concat(pod["initContainers"]?.AsArray() ?? []))
            {
                var where = $"{Text(deployment["metadata"]!["name"])}/{Text(container!["name"])}";
                Assert.True(Text(container["securityContext"]!["allowPrivilegeEscalation"]) == "false", where);
                Assert.True(Text(container["securityContext"]!["readOnlyRootFilesystem"]) == "true", where);
                Assert.True(container["resources"]!["limits"]!["memory"] is not null, where);
            }
        }
    }

    [Fact]
    public async Task Template_ByDefault_GrantsNoKubernetesApiAccess()
    {
        var manifests = await RenderAsync("--set", $"webhook.caBundle={CaBundle}");

        Assert.DoesNotContain(manifests, m => Text(m["kind"]) is "ServiceAccount" or "Role" or "RoleBinding" or "ClusterRole" or "ClusterRoleBinding");
        foreach (var deployment in manifests.Where(m => Text(m["kind"]) == "Deployment"))
            Assert.Equal("false", Text(deployment["spec"]!["template"]!["spec"]!["automountServiceAccountToken"]));
    }

    [Fact]
    public async Task Template_WithTheKubernetesFleetAndDiscovery_GivesEachItsOwnAccountWithOnlyTheVerbsItsCodeUses()
    {
        var manifests = await RenderAsync("--set", $"webhook.caBundle={CaBundle}", "--set", "fleet.kubernetes.enabled=true", "--set", "fleet.kubernetes.namespace=shop",
            "--set", "images.demoapps.tag=1.2.3", "--set", "discovery.endpointSlices.enabled=true", "--set", "discovery.endpointSlices.namespaces={shop,books}");

        // The portal: its driver's settings, its own account, a Role in the namespace it deploys to.
        var portalSettings = Single(manifests, "ConfigMap", "meshwork-portal")["data"]!.AsObject();
        Assert.Equal(("Kubernetes", "shop", "meshwork/demoapps:1.2.3", "IfNotPresent"),
            (Text(portalSettings["Portal__Fleet__Driver"]), Text(portalSettings["Portal__Fleet__Kubernetes__Namespace"]),
             Text(portalSettings["Portal__Fleet__Kubernetes__DemoAppsImage"]), Text(portalSettings["Portal__Fleet__Kubernetes__ImagePullPolicy"])));
        var portalPod = Single(manifests, "Deployment", "meshwork-portal")["spec"]!["template"]!["spec"]!;
        Assert.Equal(("meshwork-portal", "true"), (Text(portalPod["serviceAccountName"]), Text(portalPod["automountServiceAccountToken"])));
        Single(manifests, "ServiceAccount", "meshwork-portal");
        var fleetRole = Single(manifests, "Role", "meshwork-portal-fleet");
        Assert.Equal("shop", Text(fleetRole["metadata"]!["namespace"]));
        Assert.Equal(["apps deployments: get,create,patch", " pods: list,delete", " pods/log: get", " secrets: create,patch"], Rules(fleetRole));
        AssertBinds(Single(manifests, "RoleBinding", "meshwork-portal-fleet"), "Role", "meshwork-portal-fleet", "meshwork-portal", "shop");

        // The control plane: discovery settings (each a ControlPlaneOptions path), its account, a Role per watched namespace.
        var cpSettings = Single(manifests, "ConfigMap", "meshwork-control-plane")["data"]!.AsObject();
        Assert.Equal(("true", "shop", "books"), (Text(cpSettings["ControlPlane__Kubernetes__WatchEndpointSlices"]),
            Text(cpSettings["ControlPlane__Kubernetes__Namespaces__0"]), Text(cpSettings["ControlPlane__Kubernetes__Namespaces__1"])));
        AssertControlPlaneSettingsExist(cpSettings.Select(s => s.Key));
        var cpPod = Single(manifests, "Deployment", "meshwork-control-plane")["spec"]!["template"]!["spec"]!;
        Assert.Equal(("meshwork-control-plane", "true"), (Text(cpPod["serviceAccountName"]), Text(cpPod["automountServiceAccountToken"])));
        var discoveryRoles = manifests.Where(m => Text(m["kind"]) == "Role" && Text(m["metadata"]!["name"]) == "meshwork-control-plane-discovery").ToList();
        Assert.Equal(["books", "shop"], discoveryRoles.Select(r => Text(r["metadata"]!["namespace"])).Order());
        Assert.All(discoveryRoles, role => Assert.Equal(["discovery.k8s.io endpointslices: list,watch", " pods: get"], Rules(role)));
        foreach (var binding in manifests.Where(m => Text(m["kind"]) == "RoleBinding" && Text(m["metadata"]!["name"]) == "meshwork-control-plane-discovery"))
            AssertBinds(binding, "Role", "meshwork-control-plane-discovery", "meshwork-control-plane", Text(binding["metadata"]!["namespace"])!);
        Assert.DoesNotContain(manifests, m => Text(m["kind"]) is "ClusterRole" or "ClusterRoleBinding");
    }

    [Fact]
    public async Task Template_DiscoveryOfAllNamespaces_UsesAClusterRole()
    {
        var manifests = await RenderAsync("--set", $"webhook.caBundle={CaBundle}", "--set", "discovery.endpointSlices.enabled=true");

        var role = Single(manifests, "ClusterRole", "meshwork-control-plane-discovery-meshwork");
        Assert.Equal(["discovery.k8s.io endpointslices: list,watch", " pods: get"], Rules(role));
        AssertBinds(Single(manifests, "ClusterRoleBinding", "meshwork-control-plane-discovery-meshwork"), "ClusterRole",
            "meshwork-control-plane-discovery-meshwork", "meshwork-control-plane", null);
        Assert.DoesNotContain(Single(manifests, "ConfigMap", "meshwork-control-plane")["data"]!.AsObject(), s => s.Key.StartsWith("ControlPlane__Kubernetes__Namespaces", StringComparison.Ordinal));
        Assert.DoesNotContain(manifests, m => Text(m["kind"]) == "Role");
    }

    [Fact]
    public async Task Template_WithoutACaBundle_FailsSayingHowToProvideOne()
    {
        var (exit, _, error) = await helm.RunAsync("template", "meshwork", Helm.Chart, "--namespace", "meshwork");

        Assert.NotEqual(0, exit);
        Assert.Contains("webhook.caBundle is empty", error);
    }

    [Fact]
    public async Task Template_WithCertManager_RequestsTheWebhookCertificate_AndLetsCertManagerFillTheCaBundle()
    {
        var manifests = await RenderAsync("--set", "webhook.certManager.enabled=true", "--set", "webhook.certManager.issuerRef.name=cluster-ca",
            "--set", "webhook.certManager.issuerRef.kind=ClusterIssuer");

        var certificate = Single(manifests, "Certificate", "meshwork-sidecar-injector");
        Assert.Equal("meshwork-sidecar-injector-tls", Text(certificate["spec"]!["secretName"]));
        Assert.Equal(["meshwork-sidecar-injector.meshwork.svc"], certificate["spec"]!["dnsNames"]!.AsArray().Select(Text));
        Assert.Equal("ClusterIssuer", Text(certificate["spec"]!["issuerRef"]!["kind"]));
        var webhookConfig = Single(manifests, "MutatingWebhookConfiguration", "meshwork-sidecar-injector-meshwork");
        Assert.Equal("meshwork/meshwork-sidecar-injector", Text(webhookConfig["metadata"]!["annotations"]!["cert-manager.io/inject-ca-from"]));
        Assert.Null(webhookConfig["webhooks"]![0]!["clientConfig"]!["caBundle"]);
    }

    /// <summary>`helm template meshwork --namespace meshwork`, each YAML document as JSON (scalars as strings).</summary>
    private async Task<List<JsonObject>> RenderAsync(params string[] settings)
    {
        var (exit, output, error) = await helm.RunAsync(["template", "meshwork", Helm.Chart, "--namespace", "meshwork", .. settings]);
        Assert.True(exit == 0, $"helm template failed:\n{error}");
        var deserializer = new DeserializerBuilder().Build();
        var toJson = new SerializerBuilder().JsonCompatible().Build();
        var parser = new Parser(new StringReader(output));
        parser.Consume<StreamStart>();
        var documents = new List<JsonObject>();
        while (parser.Accept<DocumentStart>(out _))
            if (deserializer.Deserialize<object?>(parser) is { } document)
                documents.Add(JsonNode.Parse(toJson.Serialize(document))!.AsObject());
        return documents;
    }

    private static JsonObject Single(IEnumerable<JsonObject> manifests, string kind, string name) =>
        Assert.Single(manifests, m => Text(m["kind"]) == kind && Text(m["metadata"]!["name"]) == name);

    private static string? Text(JsonNode? node) => node?.GetValue<string>();

    /// <summary>Each rule as "apiGroups resources: verbs".</summary>
    private static List<string> Rules(JsonObject role) =>
        [.. role["rules"]!.AsArray().Select(r => $"{string.Join(',', r!["apiGroups"]!.AsArray().Select(Text))} {string.Join(',', r["resources"]!.AsArray().Select(Text))}: {string.Join(',', r["verbs"]!.AsArray().Select(Text))}")];

    private static void AssertBinds(JsonObject binding, string roleKind, string roleName, string serviceAccount, string? ns)
    {
        Assert.Equal(ns, Text(binding["metadata"]!["namespace"]));
        Assert.Equal((roleKind, roleName), (Text(binding["roleRef"]!["kind"]), Text(binding["roleRef"]!["name"])));
        var subject = Assert.Single(binding["subjects"]!.AsArray())!;
        Assert.Equal(("ServiceAccount", serviceAccount, "meshwork"), (Text(subject["kind"]), Text(subject["name"]), Text(subject["namespace"])));
    }

    private static Dictionary<string, JsonObject> Env(JsonObject container) =>
        container["env"]!.AsArray().ToDictionary(e => Text(e!["name"])!, e => e!.AsObject());

    /// <summary>The role's connection string from values, its password from the Secret through a variable defined before it.</summary>
    private static void AssertConnectionString(JsonObject container, string username, string passwordKey)
    {
        var names = container["env"]!.AsArray().Select(e => Text(e!["name"])).ToList();
        Assert.True(names.IndexOf("MESHWORK_DB_PASSWORD") < names.IndexOf("ConnectionStrings__Meshwork"));
        var env = Env(container);
        Assert.Equal("meshwork-db", Text(env["MESHWORK_DB_PASSWORD"]["valueFrom"]!["secretKeyRef"]!["name"]));
        Assert.Equal(passwordKey, Text(env["MESHWORK_DB_PASSWORD"]["valueFrom"]!["secretKeyRef"]!["key"]));
        Assert.Equal($"Host=db.example.internal;Port=5432;Database=meshwork;Username={username};Password=$(MESHWORK_DB_PASSWORD);SSL Mode=Require",
            Text(env["ConnectionStrings__Meshwork"]["value"]));
    }

    /// <summary>Every ControlPlane__A__B the chart sets is a settable property path of ControlPlaneOptions.</summary>
    private static void AssertControlPlaneSettingsExist(IEnumerable<string> names)
    {
        foreach (var name in names.Where(n => n.StartsWith("ControlPlane__", StringComparison.Ordinal)))
        {
            var type = typeof(ControlPlaneOptions);
            foreach (var part in name.Split("__").Skip(1))
            {
                // A list item (Namespaces__0): the list's element type is a string.
                if (int.TryParse(part, out _) && type.IsGenericType)
                {
                    type = type.GetGenericArguments()[0];
                    continue;
                }
                var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance);
                Assert.True(property is { CanWrite: true }, $"{name}: no settable {type.Name}.{part}");
                type = property!.PropertyType;
            }
        }
    }
}
