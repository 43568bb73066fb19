using System.Net;
using Meshwork.Portal.Deployments;

namespace Meshwork.Portal.Tests.Deployments;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InstancePlacementTests
{
    private static readonly InstancePlacement Namespaced = new(InstanceNetwork.For("reviews-v1-2", IPNetwork.Parse("10.214.0.0/16"), 300), 1337);

    [Fact]
    public void InANamespace_ALoopbackControlPlaneIsReachedAtTheHostEndOfTheVeth_OtherHostsAsConfigured()
    {
        Assert.Equal("https://10.214.4.177:15010,https://10.214.4.177:15020,https://cp.example.com:15030",
            Namespaced.ControlPlaneAddress("https://127.0.0.1:15010, https://localhost:15020,https://cp.example.com:15030"));
        Assert.Equal("https://127.0.0.1:15010", InstancePlacement.Loopback.ControlPlaneAddress("https://127.0.0.1:15010"));
    }

    [Fact]
    public void InANamespace_ProcessesListenOnEveryAddress_TheSidecarIsReachedAtTheNamespaceEnd_TheAppProbedFromInside_TheSidecarUnderTheExemptGid()
    {
        Assert.Equal(("0.0.0.0", "10.214.4.178"), (Namespaced.ListenHost, Namespaced.ReachableHost));
        Assert.Equal("mw-reviews-v1-2", Namespaced.ProbeNamespace);
        Assert.Null(InstancePlacement.Loopback.ProbeNamespace);
        Assert.Equal(["ip", "netns", "exec", "mw-reviews-v1-2"], Namespaced.AppWrapper);
        Assert.Equal(["ip", "netns", "exec", "mw-reviews-v1-2", "setpriv", "--regid=1337", "--clear-groups"], Namespaced.SidecarWrapper);
        Assert.Equal(("127.0.0.1", "127.0.0.1"), (InstancePlacement.Loopback.ListenHost, InstancePlacement.Loopback.ReachableHost));
        Assert.Empty(InstancePlacement.Loopback.SidecarWrapper);
    }
}
