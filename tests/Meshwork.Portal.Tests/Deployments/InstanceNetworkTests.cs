using System.Net;
using Meshwork.Portal.Deployments;

namespace Meshwork.Portal.Tests.Deployments;

public sealed class InstanceNetworkTests
{
    private static readonly IPNetwork Pool = IPNetwork.Parse("10.214.0.0/16");

    [Fact]
    public void ABlockIsA30_HostEndFirstNamespaceEndSecond_NamesFitLinkLimits()
    {
        var network = InstanceNetwork.For("reviews-v1-2", Pool, 300);

        Assert.Equal("mw-reviews-v1-2", network.Namespace);
        Assert.Equal(IPAddress.Parse("10.214.4.177"), network.HostAddress);
        Assert.Equal(IPAddress.Parse("10.214.4.178"), network.NamespaceAddress);
        Assert.Equal(Pool, network.Pool);
        Assert.True(network.HostLink.Length <= 15 && network.PeerLink.Length <= 15);
        Assert.NotEqual(network.HostLink, InstanceNetwork.For("reviews-v1-3", Pool, 300).HostLink);
        Assert.Equal("reviews-v1-2", InstanceNetwork.InstanceOf(network.Namespace));
        Assert.Null(InstanceNetwork.InstanceOf("cni-1234"));
    }

    [Fact]
    public void TheLowestBlockNoInstanceHoldsIsAllocated_AReleasedOneIsReused()
    {
        Assert.Equal(0, InstanceNetwork.FreeBlock(new HashSet<int>()));
        Assert.Equal(2, InstanceNetwork.FreeBlock(new HashSet<int> { 0, 1, 3 }));
        var full = Enumerable.Range(0, InstanceNetwork.BlocksPerPool).ToHashSet();
        Assert.Contains("Portal:Fleet:Local:NetworkNamespaces:Subnet", Assert.Throws<InvalidOperationException>(() => InstanceNetwork.FreeBlock(full)).Message);
    }

    [Theory]
    [InlineData("Reviews")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("-x")]
    public void AnInstanceIdThatCannotNameANamespaceIsRefused(string id) =>
        Assert.Contains("cannot name a network namespace", Assert.Throws<ArgumentException>(() => InstanceNetwork.For(id, Pool, 0)).Message);

    [Fact]
    public void TheSettingNeedsRootAndA16_NeverASilentFallback()
    {
        var options = new NetworkNamespaceOptions { Enabled = true, Subnet = "10.214.0.0/24" };

        var problems = options.Problems(privileged: false);

        Assert.Contains(problems, p => p.Contains("Subnet '10.214.0.0/24' must be an IPv4 /16"));
        Assert.Contains(problems, p => p.Contains("needs root/CAP_NET_ADMIN"));
        Assert.Contains("ProxyGid 0 must be a gid from 1 to 65534", Assert.Single(new NetworkNamespaceOptions { Enabled = true, ProxyGid = 0 }.Problems(privileged: true)));
        Assert.Empty(new NetworkNamespaceOptions { Enabled = true }.Problems(privileged: true));
        Assert.Empty(new NetworkNamespaceOptions().Problems(privileged: false));
    }
}
