using Bunit;
using Meshwork.Portal.Components.Pages;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Components;

public sealed class FleetPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed class Context : PortalComponentTest
    {
        public Context(PortalFactory portal, MeshLiveData state) : base(portal, "vera@meshwork.test", PortalPolicies.Read)
        {
            State = state;
            Services.AddSingleton(state);
        }

        public MeshLiveData State { get; }
    }

    [Fact]
    public async Task Fleet_NotConfigured_SaysHowToConnect()
    {
        await using var context = new Context(portal, new MeshLiveData(null));
        var page = context.Render<Fleet>();
        Assert.Contains("Portal:ControlPlane:Address", page.Markup);
    }

    [Fact]
    public async Task Fleet_LiveUpdate_ShowsProxiesWithSyncAndNack()
    {
        await using var context = new Context(portal, new MeshLiveData("http://127.0.0.1:15010"));
        var page = context.Render<Fleet>();
        Assert.NotEmpty(page.FindAll("[data-testid=live-connecting]"));

        var update = new StatusUpdate { FullState = true, AtUnixMs = 1_000, ConfigVersion = 7 };
        update.Proxies.Add(new ProxyStatus { ProxyId = "checkout-1", Service = "checkout", Namespace = "default", Version = "v1", Connected = true, SentVersion = 7, AckedVersion = 7, AppHealth = "Healthy" });
        update.Proxies.Add(new ProxyStatus
        {
            ProxyId = "orders-1", Service = "orders", Namespace = "default", Version = "v2", Connected = true, SentVersion = 7, AckedVersion = 6, AppHealth = "Unhealthy",
            LastNack = new NackInfo { Version = 7, Error = "cluster orders: bad endpoint" },
        });
        context.State.Apply("http://127.0.0.1:15010", update);

        page.WaitForAssertion(() =>
        {
            var table = page.Find("[data-testid=proxies-table]").TextContent;
            Assert.Contains("checkout-1", table);
            Assert.Contains("in sync v7", table);
            Assert.Contains("NACK v7", table);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Overview_LiveState_CountsConnectedProxies()
    {
        await using var context = new Context(portal, new MeshLiveData("http://127.0.0.1:15010"));
        var update = new StatusUpdate { FullState = true, AtUnixMs = 1_000 };
        update.Proxies.Add(new ProxyStatus { ProxyId = "a", Service = "a", Namespace = "default", Connected = true });
        update.Proxies.Add(new ProxyStatus { ProxyId = "b", Service = "b", Namespace = "default", Connected = false });
        context.State.Apply("http://127.0.0.1:15010", update);

        var page = context.Render<Overview>();

        page.WaitForAssertion(() => Assert.Equal("1", page.Find("[data-testid=live-proxies]").TextContent.Trim()), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Fleet_OneOfTwoControlPlanesDown_SaysDegradedAndShowsTheOthersProxies()
    {
        await using var context = new Context(portal, new MeshLiveData("https://cp-a:15010, https://cp-b:15010"));
        foreach (var (address, proxyId) in new[] { ("https://cp-a:15010", "checkout-1"), ("https://cp-b:15010", "orders-1") })
        {
            var update = new StatusUpdate { FullState = true, AtUnixMs = 1_000 };
            update.Proxies.Add(new ProxyStatus { ProxyId = proxyId, Service = "svc", Namespace = "default", Version = "v1", Connected = true });
            context.State.Apply(address, update);
        }
        context.State.Disconnected("https://cp-b:15010", "Unavailable: connection refused");

        var page = context.Render<Fleet>();

        page.WaitForAssertion(() =>
        {
            Assert.Contains("1 of 2 control planes connected", page.Find("[data-testid=live-degraded]").TextContent);
            var table = page.Find("[data-testid=proxies-table]").TextContent;
            Assert.Contains("checkout-1", table);
            Assert.DoesNotContain("orders-1", table);
        }, TimeSpan.FromSeconds(5));
    }
}
