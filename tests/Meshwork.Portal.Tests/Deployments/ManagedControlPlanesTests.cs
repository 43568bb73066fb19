using Meshwork.Portal.Deployments;
using Meshwork.Portal.Hosting;

namespace Meshwork.Portal.Tests.Deployments;

public sealed class ManagedControlPlanesTests
{
    private static readonly ManagedControlPlaneOptions Options = new() { Path = AppContext.BaseDirectory, ConnectionString = "Host=db", CaKeyEncryptionKey = "sealed" };
    private static readonly ControlPlaneLinkOptions Link = new() { Address = "https://127.0.0.1:15010", StatusToken = "status", TrustBundleFile = "trust-bundle.pem" };

    [Fact]
    public void WithNetworkNamespaces_TheReplicasListenBeyondLoopback_OtherwiseOnTheirDefault()
    {
        Assert.Equal("0.0.0.0", ManagedControlPlanes.From(Options, Link, auditSealKey: null, listenAddress: "0.0.0.0").SharedEnvironment["ControlPlane__ListenAddress"]);
        Assert.DoesNotContain("ControlPlane__ListenAddress", ManagedControlPlanes.From(Options, Link, auditSealKey: null).SharedEnvironment.Keys);
    }
}
