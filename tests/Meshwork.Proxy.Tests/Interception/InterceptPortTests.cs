using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Config;

namespace Meshwork.Proxy.Tests.Interception;

public sealed class InterceptPortTests
{
    [Fact]
    public void InterceptPortsBecomeOutboundAndInboundListeners_TheOutboundOneMayBeTheOutboundPort()
    {
        var listeners = StartupSnapshot.Listeners(new ProxyOptions { OutboundPort = 15001, InboundPort = 15006, OutboundInterceptPort = 15001, InboundInterceptPort = 15007 }, null);

        Assert.Equal(ListenerKind.Outbound, listeners.KindOf(15001));
        Assert.Equal(ListenerKind.Inbound, listeners.KindOf(15006));
        Assert.Equal(ListenerKind.Inbound, listeners.KindOf(15007));
        Assert.Equal(3, listeners.Ports.Count);
    }

    [Theory]
    [InlineData(15006, 0, "Proxy:OutboundInterceptPort 15006 is already the inbound listener's port")]
    [InlineData(15000, 0, "Proxy:OutboundInterceptPort 15000 is already the admin listener's port")]
    [InlineData(0, 15001, "Proxy:InboundInterceptPort 15001 is already the outbound listener's port")]
    [InlineData(15002, 15002, "Proxy:InboundInterceptPort 15002 is already the outbound listener's port")]
    [InlineData(70000, 0, "Proxy:OutboundInterceptPort 70000 is not a port (1-65535, or 0 for off)")]
    public void AnInterceptPortTakenByAnotherListenerIsRefusedNamingTheSetting(int outbound, int inbound, string message)
    {
        var options = new ProxyOptions { OutboundPort = 15001, InboundPort = 15006, OutboundInterceptPort = outbound, InboundInterceptPort = inbound };

        var error = Assert.Throws<InvalidOperationException>(() => StartupSnapshot.Listeners(options, null));

        Assert.Equal(message, error.Message);
    }
}
