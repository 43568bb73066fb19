using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Registry;
using Meshwork.Model.Resources;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Tests.Registry;

public sealed class ServiceRegistryTests
{
    private static readonly ServiceRef Orders = new("orders", "default");

    // An hour: nothing these tests do lets a grace period run out on its own.
    private readonly ServiceRegistry registry = new(Options.Create(new ControlPlaneOptions { InstanceGracePeriod = TimeSpan.FromHours(1) }), TimeProvider.System);

    private static RegisteredInstance Instance(string proxyId, Guid connectionId) => new()
    {
        ConnectionId = connectionId,
        Instance = new Instance
        {
            Id = proxyId,
            ProxyId = proxyId,
            Service = Orders.Name,
            Namespace = Orders.Namespace,
            Version = "v1",
            Address = "127.0.0.1:15001",
        },
    };

    [Fact]
    public void Deregister_Goodbye_RemovesTheInstanceAtOnceAndRaisesChanged()
    {
        var connection = Guid.NewGuid();
        registry.Register(Instance("orders-1", connection));
        var changed = new List<ServiceRef>();
        registry.Changed += changed.Add;

        var removed = registry.Deregister("orders-1", connection);

        Assert.Equal("orders-1", removed?.Instance.ProxyId);
        Assert.Empty(registry.InstancesOf(Orders));
        Assert.Equal([Orders], changed);
    }

    [Fact]
    public void MarkDisconnected_StreamLostWithoutGoodbye_KeepsTheInstanceForItsGracePeriod()
    {
        var connection = Guid.NewGuid();
        registry.Register(Instance("orders-1", connection));

        registry.MarkDisconnected("orders-1", connection);

        Assert.Empty(registry.RemoveExpired());
        Assert.Equal(["orders-1"], registry.InstancesOf(Orders).Select(i => i.ProxyId));
        Assert.False(registry.Get("orders-1")!.Connected);
    }

    [Fact]
    public void Deregister_GoodbyeOnAStreamAReconnectReplaced_LeavesTheNewRegistration()
    {
        var older = Guid.NewGuid();
        var newer = Guid.NewGuid();
        registry.Register(Instance("orders-1", older));
        registry.Register(Instance("orders-1", newer));

        Assert.Null(registry.Deregister("orders-1", older));
        Assert.Equal(newer, registry.Get("orders-1")?.ConnectionId);
    }

    [Fact]
    public void Register_SameProxyAfterGoodbye_RegistersItAgain()
    {
        var first = Guid.NewGuid();
        registry.Register(Instance("orders-1", first));
        registry.Deregister("orders-1", first);
        var changed = new List<ServiceRef>();
        registry.Changed += changed.Add;

        registry.Register(Instance("orders-1", Guid.NewGuid()));

        Assert.Equal(["orders-1"], registry.InstancesOf(Orders).Select(i => i.ProxyId));
        Assert.Equal([Orders], changed);
    }
}
