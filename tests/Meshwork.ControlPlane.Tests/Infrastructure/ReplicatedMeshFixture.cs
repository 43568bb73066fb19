using Meshwork.Model.Resources;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Processes;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>
/// The mesh of <see cref="MeshFixture"/> (web, orders v1 and v2 sidecars, two demo backends) driven by
/// two control plane replicas over one database on a PostgreSQL cluster of its own (so a test may
/// restart it without touching other tests' databases). Every proxy is given both replicas'
/// addresses; the fixture checks each replica holds at least one proxy, so killing either strands some.
/// </summary>
public sealed class ReplicatedMeshFixture : IAsyncLifetime
{
    private static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>
    {
        // One CA key for both: they share the root stored (encrypted) in the database.
        ["ControlPlane__CaKeyEncryptionKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        ["ControlPlane__InstanceGracePeriod"] = "00:00:03",
        ["ControlPlane__RegistryRecoveryPeriod"] = "00:00:06",
        ["ControlPlane__LeaderLeaseDuration"] = "00:00:03",
    };

    public PostgresCluster Cluster { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";
    public string Token { get; private set; } = "";
    public IReadOnlyList<ControlPlaneProcess> Replicas { get; private set; } = [];
    public DemoBackendProcess OrdersV1Backend { get; private set; } = null!;
    public DemoBackendProcess OrdersV2Backend { get; private set; } = null!;
    public MeshProxy Web { get; private set; } = null!;
    public IReadOnlyList<MeshProxy> Proxies { get; private set; } = [];

    /// <summary>Both replicas' addresses, as proxies are configured.</summary>
    public IReadOnlyList<string> Addresses => Replicas.Select(r => r.Address).ToList();

    public async Task InitializeAsync()
    {
        Cluster = await PostgresCluster.StartAsync();
        ConnectionString = await Cluster.CreateDatabaseAsync();
        await using (var db = MigratedDatabase.OpenSession(ConnectionString))
            await new StoreMigrations(db).MigrateAsync();
        Token = await TestTokens.IssueAsync(ConnectionString);
        await ApplyAsync(new Service { Metadata = new ResourceMetadata { Name = "web" }, Versions = [new ServiceVersion { Name = "v1" }] });
        await ApplyAsync(new Service
        {
            Metadata = new ResourceMetadata { Name = "orders" },
            Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }],
        });
        await ApplyAsync(MeshFixture.OrdersRoute("v1"));

        // Started together on an empty CA table: they must agree on one root.
        Replicas = await StartTogether.AllOrNoneAsync(ControlPlaneProcess.StartAsync(ConnectionString, Settings), ControlPlaneProcess.StartAsync(ConnectionString, Settings));
        OrdersV1Backend = await DemoBackendProcess.StartAsync("orders", "v1", "orders-v1-a");
        OrdersV2Backend = await DemoBackendProcess.StartAsync("orders", "v2", "orders-v2-a");
        var bundle = Replicas[0].TrustBundleFile;
        var proxies = await StartTogether.AllOrNoneAsync(
            MeshProxy.StartAsync(Addresses, bundle, Token, "web-1", "web", "v1", appAddress: null),
            MeshProxy.StartAsync(Addresses, bundle, Token, "orders-v1-1", "orders", "v1", OrdersV1Backend.Address),
            MeshProxy.StartAsync(Addresses, bundle, Token, "orders-v2-1", "orders", "v2", OrdersV2Backend.Address));
        Web = proxies[0];
        Proxies = proxies;
    }

    /// <summary>
    /// Restarts every proxy, one at a time, cleanly (Goodbye first). A proxy starts on the replica its id hashes to
    /// and stays wherever it fails over to (a replica slow to answer its first Hello on a loaded machine, or one a
    /// test killed); failover never moves it back, a restart does.
    /// </summary>
    public async Task RestartProxiesAsync()
    {
        foreach (var proxy in Proxies)
        {
            await proxy.TerminateAsync();
            await proxy.StopAsync();
            await proxy.StartAsync(Addresses, Replicas[0].TrustBundleFile, Token);
        }
    }

    public async Task ApplyAsync(Resource resource)
    {
        await using var db = MigratedDatabase.OpenSession(ConnectionString);
        var service = new ResourceService(db, TimeProvider.System);
        var current = await service.GetAsync(resource.Key);
        var result = await service.ApplyAsync(resource with { Metadata = resource.Metadata with { Version = current?.Resource.Metadata.Version ?? 0 } },
            new ChangeActor("tests", ChangeSource.Api));
        Assert.True(result is ChangeResult.Applied, $"apply {resource.Key} failed: {result}");
    }

    public string Diagnostics() =>
        string.Join("\n", Replicas.Select((r, i) => $"--- control plane {i} ---\n{r.Output}")) + "\n" +
        string.Join("\n", Proxies.Select(p => $"--- {p.Id} ---\n{p.Output}"));

    public async Task DisposeAsync()
    {
        foreach (var proxy in Proxies) await proxy.DisposeAsync();
        if (OrdersV1Backend is not null) await OrdersV1Backend.DisposeAsync();
        if (OrdersV2Backend is not null) await OrdersV2Backend.DisposeAsync();
        foreach (var replica in Replicas) await replica.DisposeAsync();
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}
