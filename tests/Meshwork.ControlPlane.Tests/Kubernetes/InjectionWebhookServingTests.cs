using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Testing.Waiting;

namespace Meshwork.ControlPlane.Tests.Kubernetes;

/// <summary>How the control plane serves the webhook: its own HTTPS port, a renewable certificate, settings checked at start.</summary>
public sealed class InjectionWebhookServingTests(InjectionWebhookFixture fixture) : IClassFixture<InjectionWebhookFixture>
{
    [Fact]
    public async Task RenewedCertificateFiles_AreServed_WithoutARestart()
    {
        var before = await ServedCertificateAsync();

        var renewed = fixture.RenewCertificate();

        await Eventually.HoldsAsync(async () => (await ServedCertificateAsync()).SerialNumber == renewed.Certificate.SerialNumber,
            "the webhook port serves the renewed certificate");
        Assert.NotEqual(before.SerialNumber, renewed.Certificate.SerialNumber);
        using var response = await fixture.PostAsync("[]");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);  // and the API server's view of it (caBundle) still verifies
    }

    [Fact]
    public async Task InjectEndpoint_IsNotServed_OnThePlainHttpPort()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        using var response = await http.PostAsync($"http://127.0.0.1:{fixture.ControlPlane.HttpPort}/inject", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task WebhookPort_WithoutACertificate_RefusesToStart_SayingWhatIsMissing()
    {
        var settings = new Dictionary<string, string>
        {
            ["ControlPlane__Injection__Port"] = FreePort.Next().ToString(),
            ["ControlPlane__Injection__ProxyImage"] = InjectionWebhookFixture.ProxyImage,
        };

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ControlPlaneProcess.StartAsync(fixture.ConnectionString, settings));

        Assert.Contains("ControlPlane:Injection:CertificateFile is not set", refused.Message);
        Assert.Contains("ControlPlane:Injection:ControlPlaneAddress is not set", refused.Message);
    }

    /// <summary>The certificate a fresh TLS handshake with the webhook port gets.</summary>
    private async Task<X509Certificate2> ServedCertificateAsync()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, fixture.WebhookPort);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" });
        return X509CertificateLoader.LoadCertificate(tls.RemoteCertificate!.GetRawCertData());
    }
}
