using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Security;

/// <summary>
/// A certificate without a key in the snapshot (as the control plane sends it) is paired with the
/// proxy's own key, stored owner-only in its state directory; one issued for another key is refused.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class ProxyKeyTests(MeshFixture mesh)
{
    private const string SpiffeId = "spiffe://cluster.local/ns/default/sa/web";

    private ProxySnapshot Snapshot(long version, int outboundPort, SnapshotCertificates certificates) =>
        SnapshotHash.WithHash(mesh.WebSnapshot(version) with
        {
            Identity = mesh.WebSnapshot(version).Identity with { ProxyId = "proxy-own-key" },
            Listeners = [new SnapshotListener { Name = "outbound", Kind = ListenerKind.Outbound, Port = outboundPort }],
            Certificates = certificates,
        });

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes
    public async Task CertificateWithoutKey_ForAnotherKeyIsNacked_ForTheProxysStoredKeyIsApplied()
    {
        var port = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(Snapshot(1, port, mesh.Certificates("web")), "proxy-own-key");
        var keyFile = Path.Combine(proxy.StateDirectory, "proxy-key.pem");
        // A snapshot file that carries its own key is all the proxy needs: it makes none of its own.
        Assert.False(File.Exists(keyFile));

        var foreign = await proxy.PushAsync(Snapshot(2, port, mesh.Certificates("web") with { PrivateKeyPem = "" }), expectAccepted: false);

        Assert.Equal(1, foreign.GetProperty("version").GetInt64());
        Assert.Contains(foreign.GetProperty("lastResult").GetProperty("errors").EnumerateArray(),
            error => error.GetString()!.Contains("the certificate is not for this proxy's key", StringComparison.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        using var proxyKey = ECDsa.Create();
        proxyKey.ImportFromPem(await File.ReadAllTextAsync(keyFile));
        using var ca = new SigningRoot();
        var own = await proxy.PushAsync(Snapshot(3, port, new SnapshotCertificates
        {
            CertificateChainPem = ca.IssueFor(proxyKey),
            PrivateKeyPem = "",
            TrustBundlePem = ca.Root.ExportCertificatePem(),
        }));

        Assert.Equal(3, own.GetProperty("version").GetInt64());
    }

    /// <summary>A root that signs a leaf for a public key it is given, as the control plane does for a CSR.</summary>
    private sealed class SigningRoot : IDisposable
    {
        private readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public SigningRoot()
        {
            var request = new CertificateRequest("CN=Proxy key test root", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        }

        public X509Certificate2 Root { get; }

        public string IssueFor(ECDsa subject)
        {
            var request = new CertificateRequest(new X500DistinguishedName("CN=web"),
                PublicKey.CreateFromSubjectPublicKeyInfo(subject.ExportSubjectPublicKeyInfo(), out _), HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddUri(new Uri(SpiffeId));
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            var serial = RandomNumberGenerator.GetBytes(8);
            serial[0] &= 0x7F;
            using var leaf = request.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(key),
                DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), serial);
            return leaf.ExportCertificatePem();
        }

        public void Dispose()
        {
            Root.Dispose();
            key.Dispose();
        }
    }
}
