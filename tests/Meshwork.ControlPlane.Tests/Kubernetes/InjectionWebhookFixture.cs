using System.Text;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Testing.Certificates;

namespace Meshwork.ControlPlane.Tests.Kubernetes;

/// <summary>
/// A real control plane serving the sidecar injection webhook on its own HTTPS port, with a certificate
/// from a throwaway CA that the client trusts alone, as the API server trusts the caBundle.
/// </summary>
public sealed class InjectionWebhookFixture : ControlPlaneFixture
{
    public const string ProxyImage = "registry.example.com/meshwork/proxy:1.2.3";
    public const string ControlPlaneAddress = "https://meshwork-control-plane.meshwork.svc:15010";

    private readonly TestCertificateAuthority caBundle = TestCertificateAuthority.Create("Webhook caBundle");
    private readonly string certificateDirectory = Directory.CreateTempSubdirectory("meshwork-webhook-cert-").FullName;

    public InjectionWebhookFixture()
    {
        RenewCertificate();
        Settings = new Dictionary<string, string>
        {
            ["ControlPlane__Injection__Port"] = WebhookPort.ToString(),
            ["ControlPlane__Injection__CertificateFile"] = Path.Combine(certificateDirectory, "tls.crt"),
            ["ControlPlane__Injection__KeyFile"] = Path.Combine(certificateDirectory, "tls.key"),
            ["ControlPlane__Injection__ProxyImage"] = ProxyImage,
            ["ControlPlane__Injection__ControlPlaneAddress"] = ControlPlaneAddress,
            ["ControlPlane__Injection__MaxReviewBytes"] = (256 * 1024).ToString(),
        };
        Client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => caBundle.Issued(certificate) },
        })
        {
            BaseAddress = new Uri($"https://127.0.0.1:{WebhookPort}"),
            Timeout = TimeSpan.FromSeconds(30),
            // As the API server calls it: through the webhook Service, whose name and port (443) are not the listener's.
            DefaultRequestHeaders = { Host = "meshwork-sidecar-injector.meshwork.svc" },
        };
    }

    protected override IReadOnlyDictionary<string, string> Settings { get; }

    public int WebhookPort { get; } = FreePort.Next();

    /// <summary>Talks to the webhook port as the API server does: HTTPS verified against the caBundle only.</summary>
    public HttpClient Client { get; }

    public int MaxReviewBytes => 256 * 1024;

    /// <summary>Writes a new serving certificate from the same CA over the files, as a renewed Secret reaches a pod's volume.</summary>
    public IssuedCertificate RenewCertificate()
    {
        var serving = caBundle.Issue("spiffe://cluster.local/ns/meshwork/sa/meshwork-control-plane");
        File.WriteAllText(Path.Combine(certificateDirectory, "tls.crt"), serving.CertificatePem);
        File.WriteAllText(Path.Combine(certificateDirectory, "tls.key"), serving.PrivateKeyPem);
        return serving;
    }

    public Task<HttpResponseMessage> PostAsync(string body, string contentType = "application/json") =>
        Client.PostAsync("/inject", new StringContent(body, Encoding.UTF8, contentType));

    /// <summary>The AdmissionReview the API server sends when a pod is created in <paramref name="ns"/>.</summary>
    public static JsonObject ReviewOf(JsonObject pod, string ns = "shop", string uid = "705ab4f5-6393-11e8-b7cc-42010a800002") => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
            ["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "pods" },
            ["namespace"] = ns,
            ["operation"] = "CREATE",
            ["userInfo"] = new JsonObject { ["username"] = "system:serviceaccount:kube-system:replicaset-controller" },
            ["object"] = pod.DeepClone(),
            ["dryRun"] = false,
        },
    };

    public override async Task DisposeAsync()
    {
        Client.Dispose();
        await base.DisposeAsync();
        caBundle.Dispose();
        Directory.Delete(certificateDirectory, recursive: true);
    }
}
