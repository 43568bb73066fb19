using System.Security.Cryptography.X509Certificates;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Transport;

/// <summary>
/// One proxy per transport (Epoll, Sockets) in front of the same <see cref="BulkBackend"/>, started
/// once for the transport tests. Each has a plain outbound listener (services "bulk"; "closing",
/// a <see cref="CloseDelimitedBackend"/>; and "nowhere", whose only endpoint is a port nobody listens on) and an mTLS inbound listener (HTTP/1.1 and
/// HTTP/2) whose local app is the backend.
/// </summary>
public sealed class TransportFixture : IAsyncLifetime
{
    public const string Epoll = "Epoll";
    public const string Sockets = "Sockets";

    private readonly Dictionary<string, Listeners> listeners = [];
    private readonly Dictionary<string, TransportProxy> proxies = [];

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Create();
    public BulkBackend Backend { get; private set; } = null!;
    public CloseDelimitedBackend Closing { get; } = CloseDelimitedBackend.Start();

    /// <summary>Taken and released at once, never handed out again: nothing listens there.</summary>
    public int DeadPort { get; } = FreePort.Next();

    public async Task InitializeAsync()
    {
        Backend = await BulkBackend.StartAsync();
        foreach (var transport in new[] { Epoll, Sockets })
            listeners[transport] = new Listeners(FreePort.Next(), FreePort.Next());
        var starting = listeners.ToDictionary(l => l.Key, l => TransportProxy.StartAsync(Snapshot($"proxy-{l.Key.ToLowerInvariant()}", l.Value), $"proxy-{l.Key}", l.Key));
        try
        {
            await Task.WhenAll(starting.Values);
        }
        finally
        {
            // Kept even when the other failed, so that disposing stops it.
            foreach (var (transport, start) in starting.Where(s => s.Value.IsCompletedSuccessfully))
                proxies[transport] = start.Result;
        }
        // Otherwise an Epoll case that quietly fell back to sockets would prove nothing.
        if (proxies[Epoll].EpollThreadCount() == 0 || proxies[Sockets].EpollThreadCount() != 0)
            throw new InvalidOperationException($"the proxies do not run the transports they were given: threads {string.Join(", ", proxies[Epoll].ThreadNames())}");
    }

    public TransportProxy Proxy(string transport) => proxies[transport];

    public int OutboundPort(string transport) => listeners[transport].Outbound;

    public int InboundPort(string transport) => listeners[transport].Inbound;

    /// <summary>A snapshot for a proxy with these listeners, its clusters in plain HTTP.</summary>
    public ProxySnapshot Snapshot(string proxyId, Listeners ports)
    {
        var compiled = SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = [Service("edge"), Service("bulk"), Service("closing"), Service("nowhere")],
            Instances =
            [
                Instance("bulk-1", "bulk", Backend.Address),
                Instance("closing-1", "closing", Closing.Address),
                Instance("nowhere-1", "nowhere", $"127.0.0.1:{DeadPort}"),
            ],
            Proxy = new ProxyIdentity
            {
                ProxyId = proxyId, Service = "edge", Version = "v1",
                OutboundPort = ports.Outbound, InboundPort = ports.Inbound, AppAddress = Backend.Address,
            },
            Certificates = MeshCertificates.For(Ca, "edge"),
            Version = 1,
        });
        return SnapshotHash.WithHash(compiled with { Clusters = compiled.Clusters.Select(c => c with { MeshTls = false }).ToArray() });
    }

    /// <summary>A client of the inbound listener with a mesh client certificate, trusting only the test CA.</summary>
    public HttpClient InboundClient(string transport, Version version)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [Ca.Issue(SnapshotCompiler.SpiffeId("cluster.local", "default", "tester")).Certificate];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => Ca.Issued(certificate);
        return new HttpClient(handler)
        {
            BaseAddress = new Uri($"https://127.0.0.1:{InboundPort(transport)}"),
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    private static Service Service(string name) => PlainSidecar.Service(name);

    private static Instance Instance(string id, string service, string address) => new()
    {
        Id = id, Service = service, Version = "v1", Address = address, ProxyId = id, Health = InstanceHealth.Healthy,
    };

    public async Task DisposeAsync()
    {
        await Task.WhenAll(proxies.Values.Select(p => p.DisposeAsync().AsTask()));
        if (Backend is not null)
            await Backend.DisposeAsync();
        await Closing.DisposeAsync();
        Ca.Dispose();
    }

    public sealed record Listeners(int Outbound, int Inbound);
}
