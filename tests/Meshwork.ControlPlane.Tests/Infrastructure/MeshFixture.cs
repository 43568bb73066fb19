using Meshwork.Testing.Processes;
using Grpc.Net.Client;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Meshwork.Testing.Postgres;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>
/// A small real mesh driven by the real control plane: Postgres, the control plane process, demo
/// backends orders-v1 and orders-v2, and three sidecar processes (web, orders v1, orders v2) that
/// get everything, certificates included, from the control plane. Tests call orders through the
/// web sidecar's outbound listener, so every request crosses two proxies over mTLS.
/// </summary>
public class MeshFixture : IAsyncLifetime
{
    private readonly TimeSpan? certificateTtl;

    public MeshFixture()
    {
    }

    protected MeshFixture(TimeSpan certificateTtl) => this.certificateTtl = certificateTtl;

    /// <summary>Extra control plane settings (environment form) for derived fixtures.</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    /// <summary>The control plane's ControlPlane:Rollouts:WebhookSigningKey: webhook receivers in tests verify signatures with it.</summary>
    public const string WebhookSigningKey = "test-webhook-signing-key";

    public string ConnectionString { get; private set; } = "";
    public string Token { get; private set; } = "";
    public ControlPlaneProcess ControlPlane { get; private set; } = null!;
    public GrpcChannel Channel { get; private set; } = null!;
    public DemoBackendProcess OrdersV1Backend { get; private set; } = null!;
    public DemoBackendProcess OrdersV2Backend { get; private set; } = null!;
    public MeshProxy Web { get; private set; } = null!;
    public MeshProxy OrdersV1 { get; private set; } = null!;
    public MeshProxy OrdersV2 { get; private set; } = null!;
    public IReadOnlyList<MeshProxy> Proxies => [Web, OrdersV1, OrdersV2];

    public async Task InitializeAsync()
    {
        ConnectionString = await MigratedDatabase.CreateAsync();
        Token = await TestTokens.IssueAsync(ConnectionString);
        await ApplyAsync(new Service { Metadata = new ResourceMetadata { Name = "web" }, Versions = [new ServiceVersion { Name = "v1" }] });
        await ApplyAsync(new Service
        {
            Metadata = new ResourceMetadata { Name = "orders" },
            Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }],
        });
        await ApplyAsync(OrdersRoute("v1"));

        var settings = new Dictionary<string, string>(Settings)
        {
            ["ControlPlane__InstanceGracePeriod"] = "00:00:03",
            // Short, so a lost instance's lease runs out within a test even after a control plane restart,
            // yet longer than the test proxies' reconnect backoff (at most 2 s) on a loaded machine.
            ["ControlPlane__RegistryRecoveryPeriod"] = "00:00:10",
            ["ControlPlane__Rollouts__WebhookSigningKey"] = WebhookSigningKey,
        };
        if (certificateTtl is { } ttl) settings["ControlPlane__CertificateTtl"] = ttl.ToString("c");
        // xUnit does not dispose a fixture whose initialization failed: whatever started is stopped here.
        var backends = new[] { DemoBackendProcess.StartAsync("orders", "v1", "orders-v1-a"), DemoBackendProcess.StartAsync("orders", "v2", "orders-v2-a") };
        Task<MeshProxy>[] proxies = [];
        try
        {
            ControlPlane = await ControlPlaneProcess.StartAsync(ConnectionString, settings);
            Channel = ControlPlane.NewChannel();
            OrdersV1Backend = await backends[0];
            OrdersV2Backend = await backends[1];
            proxies =
            [
                MeshProxy.StartAsync(ControlPlane, Token, "web-1", "web", "v1", appAddress: null),
                MeshProxy.StartAsync(ControlPlane, Token, "orders-v1-1", "orders", "v1", OrdersV1Backend.Address),
                MeshProxy.StartAsync(ControlPlane, Token, "orders-v2-1", "orders", "v2", OrdersV2Backend.Address),
            ];
            (Web, OrdersV1, OrdersV2) = (await proxies[0], await proxies[1], await proxies[2]);
            // Ready: the orders instances are endpoints once their proxies ACKed a snapshot, a push after that.
            using var client = Web.OutboundClient();
            await WaitForServedByAsync(client, "orders-v1-a", TimeSpan.FromSeconds(30));
        }
        catch
        {
            foreach (var started in proxies.Concat<Task>(backends))
            {
                try
                {
                    await started;
                }
                catch (Exception)
                {
                    // The failure being reported below.
                }
            }
            foreach (var proxy in proxies.Where(p => p.IsCompletedSuccessfully)) await proxy.Result.DisposeAsync();
            foreach (var backend in backends.Where(b => b.IsCompletedSuccessfully)) await backend.Result.DisposeAsync();
            if (ControlPlane is not null) await ControlPlane.DisposeAsync();
            throw;
        }
    }

    public static HttpRoute OrdersRoute(string version) => new()
    {
        Metadata = new ResourceMetadata { Name = "orders" },
        ParentRefs = [new ParentRef { Name = "orders" }],
        Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "orders", Version = version }] }],
    };

    public async Task ApplyAsync(Resource resource)
    {
        await using var db = MigratedDatabase.OpenSession(ConnectionString);
        var service = new ResourceService(db, TimeProvider.System);
        var current = await service.GetAsync(resource.Key);
        var result = await service.ApplyAsync(resource with { Metadata = resource.Metadata with { Version = current?.Resource.Metadata.Version ?? 0 } },
            new ChangeActor("tests", ChangeSource.Api));
        Assert.True(result is ChangeResult.Applied, $"apply {resource.Key} failed: {result}");
    }

    /// <summary>Who served GET http://orders/ through the web sidecar (x-served-by), or the failure.</summary>
    public static async Task<string> ServedByAsync(HttpClient client, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders/");
        configure?.Invoke(request);
        using var response = await client.SendAsync(request);
        return response.IsSuccessStatusCode && response.Headers.TryGetValues("x-served-by", out var values)
            ? values.First()
            : $"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
    }

    /// <summary>Polls until every request in a row of <paramref name="streak"/> (each shaped by <paramref name="configure"/>) is served by <paramref name="instance"/>.</summary>
    public static async Task<TimeSpan> WaitForServedByAsync(HttpClient client, string instance, TimeSpan timeout, int streak = 10,
        Action<HttpRequestMessage>? configure = null)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        string last = "";
        while (stopwatch.Elapsed < timeout)
        {
            var ok = 0;
            for (; ok < streak; ok++)
            {
                try
                {
                    last = await ServedByAsync(client, configure);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // Still converging (e.g. the first connection to a proxy that is just starting): try again.
                    last = ex.GetBaseException().Message;
                }
                if (last != instance) break;
            }
            if (ok == streak) return stopwatch.Elapsed;
            await Task.Delay(25);
        }
        throw new TimeoutException($"orders never consistently served by {instance}; last: {last}");
    }

    public string Diagnostics() =>
        $"--- control plane ---\n{ControlPlane.Output}\n" + string.Join("\n", Proxies.Select(p => $"--- {p.Id} ---\n{p.Output}"));

    public async Task DisposeAsync()
    {
        foreach (var proxy in Proxies.Where(p => p is not null)) await proxy.DisposeAsync();
        if (OrdersV1Backend is not null) await OrdersV1Backend.DisposeAsync();
        if (OrdersV2Backend is not null) await OrdersV2Backend.DisposeAsync();
        Channel?.Dispose();
        if (ControlPlane is not null) await ControlPlane.DisposeAsync();
    }
}

/// <summary>The same mesh with 6 s certificates: renewed every 4 s, so rotation happens under traffic within a test.</summary>
public sealed class RotatingMeshFixture() : MeshFixture(TimeSpan.FromSeconds(6));
