using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;

namespace Meshwork.Model.Tests.Snapshots;

public sealed class TcpRouteCompileTests
{
    private static readonly ProxyIdentity Web = new() { ProxyId = "web-1", Service = "web", Version = "v1", OutboundPort = 15001 };

    private static readonly Service Db = new() { Metadata = new() { Name = "db" }, Versions = [new() { Name = "v1" }, new() { Name = "v2" }] };

    private static TcpRoute Route(string name, int port, string ns = ResourceMetadata.DefaultNamespace) => new()
    {
        Metadata = new() { Name = name, Namespace = ns },
        Service = "db",
        Port = port,
        Rules = [new() { BackendRefs = [new() { Service = "db", Namespace = ResourceMetadata.DefaultNamespace, Version = "v1", Weight = 80 }, new() { Service = "db", Namespace = ResourceMetadata.DefaultNamespace, Version = "v2", Weight = 20 }] }],
    };

    private static ProxySnapshot Compile(params Resource[] resources) =>
        SnapshotCompiler.Compile(new SnapshotInputs { Resources = resources, Proxy = Web, Version = 1 });

    [Fact]
    public void Compile_TcpRoute_BecomesAListenerWithWeightedVersionClusters()
    {
        var listener = Assert.Single(Compile(Db, Route("db", 5432)).TcpListeners);
        Assert.Equal("default/db/0", listener.RouteName);
        Assert.Equal(5432, listener.Port);
        Assert.Equal([("db.default|v1", 80), ("db.default|v2", 20)], listener.Backends.Select(b => (b.Cluster, b.Weight)));
    }

    [Fact]
    public void Compile_ResourceOrder_DoesNotChangeTheHash() =>
        Assert.Equal(Compile(Db, Route("b", 6000), Route("a", 5432)).Hash, Compile(Route("a", 5432), Db, Route("b", 6000)).Hash);

    [Fact]
    public void Compile_ListenersAreOrderedByPort() =>
        Assert.Equal([5432, 6000], Compile(Db, Route("a", 6000), Route("b", 5432)).TcpListeners.Select(l => l.Port));

    [Fact]
    public void Compile_TwoStoredRoutesOnOnePort_TheFirstByNamespaceAndNameKeepsIt() =>
        Assert.Equal("default/a/0", Assert.Single(Compile(Db, Route("b", 5432), Route("a", 5432, "default")).TcpListeners).RouteName);

    [Fact]
    public void Compile_BackendWithoutAService_GetsAnEmptyCluster()
    {
        var route = Route("a", 5432) with { Rules = [new() { BackendRefs = [new() { Service = "gone" }] }] };
        var cluster = Assert.Single(Compile(route).Clusters, c => c.Name == "gone.default");
        Assert.Empty(cluster.Endpoints);
    }
}
