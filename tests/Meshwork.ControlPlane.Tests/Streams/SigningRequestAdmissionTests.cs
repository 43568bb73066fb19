using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Meshwork.ControlPlane.Tests.Certificates;
using Meshwork.ControlPlane.Tests.Infrastructure;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>The proxy's key stays with the proxy: the control plane signs the CSR of its Hello and never sends a key.</summary>
public sealed class SigningRequestAdmissionTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Connect_WithCsr_CertificateIsForTheCsrKeyAndTheSnapshotCarriesNoPrivateKey()
    {
        var hello = SimulatedProxy.HelloFor(fixture.Token, "csr-1", "csr", ns: "shop");
        // Subject and SANs of the request are the proxy's to fill and the control plane's to ignore.
        hello.CertificateSigningRequest = ByteString.CopyFrom(SimulatedProxy.SigningRequest("CN=admin, O=claims-to-be-someone-else"));
        var requested = CertificateRequest.LoadSigningRequest(hello.CertificateSigningRequest.ToByteArray(), System.Security.Cryptography.HashAlgorithmName.SHA256);
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, hello);

        var snapshot = await proxy.WaitForAsync(_ => true, Timeout);

        Assert.Equal("", snapshot.Certificates.PrivateKeyPem);
        Assert.DoesNotContain("PRIVATE KEY", snapshot.ToByteString().ToStringUtf8());
        using var leaf = X509Certificate2.CreateFromPem(snapshot.Certificates.CertificateChainPem);
        Assert.Equal(requested.PublicKey.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());
        // No CN from anything the proxy sent (neither the CSR's subject nor the Hello's service): the
        // identity is only the URI SAN.
        Assert.Equal("", leaf.Subject);
        Assert.Contains("spiffe://cluster.local/ns/shop/sa/csr",
            System.Text.Encoding.ASCII.GetString(leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().RawData));
    }

    [Fact]
    public async Task Connect_TamperedCsr_IsRefusedWithInvalidArgumentAndGetsNothing()
    {
        var hello = SimulatedProxy.HelloFor(fixture.Token, "csr-tampered", "csr");
        hello.CertificateSigningRequest = ByteString.CopyFrom(WorkloadSigningRequestTests.Tampered(SimulatedProxy.SigningRequest("CN=meshwork-proxy")));
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, hello);

        var failure = await proxy.CompletionAsync(Timeout);

        Assert.NotNull(failure);
        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("not a validly self-signed PKCS#10 request", failure.Status.Detail);
        Assert.Equal(0, proxy.Received);
    }

    [Fact]
    public async Task Connect_WithoutCsr_IsRefusedWithInvalidArgumentAndGetsNothing()
    {
        var hello = SimulatedProxy.HelloFor(fixture.Token, "csr-missing", "csr");
        hello.CertificateSigningRequest = ByteString.Empty;
        await using var proxy = await SimulatedProxy.ConnectAsync(fixture.Channel, hello);

        var failure = await proxy.CompletionAsync(Timeout);

        Assert.NotNull(failure);
        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("no certificate_signing_request", failure.Status.Detail);
        Assert.Equal(0, proxy.Received);
    }
}
