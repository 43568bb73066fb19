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

        Assert.Empty(registry.ForgetLost());
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

    private static SharedInstance Row(string proxyId, Guid connectionId, string version = "v1") =>
        new(Instance(proxyId, connectionId).Instance with { Version = version }, connectionId, "other-replica");

    [Fact]
    public void ReplaceShared_InstancesOfOtherReplicas_AreEndpointsWithoutAStreamHere()
    {
        var changed = new List<ServiceRef>();
        registry.Changed += changed.Add;

        registry.ReplaceShared([Row("orders-1", Guid.NewGuid()), Row("orders-2", Guid.NewGuid())]);

        Assert.Equal(["orders-1", "orders-2"], registry.InstancesOf(Orders).Select(i => i.ProxyId));
        Assert.Equal([Orders], changed);
        Assert.Null(registry.Get("orders-1"));
    }

    [Fact]
    public void ReplaceShared_SameRowsAgain_RaisesNoChange()
    {
        var rows = new[] { Row("orders-1", Guid.NewGuid()) };
        registry.ReplaceShared(rows);
        var changed = new List<ServiceRef>();
        registry.Changed += changed.Add;

        registry.ReplaceShared(rows);

        Assert.Empty(changed);
    }

    [Fact]
    public void ReplaceShared_RowMissingWhileItsProxyIsConnectedHere_KeepsTheInstance()
    {
        // The row is not written yet (or PostgreSQL lost it): the stream here is first-hand knowledge.
        registry.Register(Instance("orders-1", Guid.NewGuid()));

        registry.ReplaceShared([]);

        Assert.Equal(["orders-1"], registry.InstancesOf(Orders).Select(i => i.ProxyId));
    }

    [Fact]
    public void Deregister_GoodbyeWhileTheRowIsStillStored_HidesTheRowAtOnce()
    {
        var connection = Guid.NewGuid();
        registry.Register(Instance("orders-1", connection));
        registry.ReplaceShared([Row("orders-1", connection)]);

        registry.Deregister("orders-1", connection);
        Assert.Empty(registry.InstancesOf(Orders));

        // A re-read before the delete landed still has the row: it stays hidden.
        registry.ReplaceShared([Row("orders-1", connection)]);
        Assert.Empty(registry.InstancesOf(Orders));
    }

    [Fact]
    public void Deregister_ThenTheProxyJoinsAnotherReplica_ShowsItsNewRow()
    {
        var first = Guid.NewGuid();
        registry.Register(Instance("orders-1", first));
        registry.Deregister("orders-1", first);

        registry.ReplaceShared([Row("orders-1", Guid.NewGuid(), version: "v2")]);

        Assert.Equal("v2", Assert.Single(registry.InstancesOf(Orders)).Version);
    }

    [Fact]
    public void MarkDisconnected_TheProxyMovedToAnotherReplica_ShowsTheOtherReplicasRow()
    {
        var here = Guid.NewGuid();
        registry.Register(Instance("orders-1", here));
        registry.MarkDisconnected("orders-1", here);

        registry.ReplaceShared([Row("orders-1", Guid.NewGuid(), version: "v2")]);

        Assert.Equal("v2", Assert.Single(registry.InstancesOf(Orders)).Version);
    }

    [Fact]
    public void RemoveShared_LeaseRanOut_RemovesOnlyThatStreamsRow()
    {
        var old = Guid.NewGuid();
        registry.ReplaceShared([Row("orders-1", old), Row("orders-2", Guid.NewGuid())]);

        registry.RemoveShared([("orders-1", old), ("orders-2", Guid.NewGuid())]);

        Assert.Equal(["orders-2"], registry.InstancesOf(Orders).Select(i => i.ProxyId));
    }

    [Fact]
    public void TakePendingWrites_RegisterHealthGoodbye_QueuesEachOnceAndRequeueGivesThemBack()
    {
        var one = Guid.NewGuid();
        var two = Guid.NewGuid();
        registry.Register(Instance("orders-1", one));
        registry.Register(Instance("orders-2", two));
        registry.SetHealth("orders-1", InstanceHealth.Healthy);
        registry.Deregister("orders-2", two);

        var writes = registry.TakePendingWrites();

        Assert.Equal(["orders-1"], writes.Registrations.Select(i => i.Instance.ProxyId));
        Assert.Equal(InstanceHealth.Healthy, writes.Registrations[0].Instance.Health);
        Assert.Equal([("orders-2", two)], writes.Removals);
        Assert.True(registry.TakePendingWrites().IsEmpty);

        registry.Requeue(writes);
        var again = registry.TakePendingWrites();
        Assert.Equal(["orders-1"], again.Registrations.Select(i => i.Instance.ProxyId));
        Assert.Equal([("orders-2", two)], again.Removals);
    }

    [Fact]
    public void Instances_SameInputsInAnyOrder_ComeOutInTheSameOrder()
    {
        var rows = Enumerable.Range(0, 20).Select(i => Row($"orders-{i}", Guid.NewGuid())).ToList();
        var other = new ServiceRegistry(Options.Create(new ControlPlaneOptions()), TimeProvider.System);

        registry.ReplaceShared(rows);
        other.ReplaceShared(Enumerable.Reverse(rows).ToList());

        Assert.Equal(registry.Instances(), other.Instances());
    }
}
