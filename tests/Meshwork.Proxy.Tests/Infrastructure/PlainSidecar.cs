using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Infrastructure;

/// <summary>
/// A sidecar process of its own (plain HTTP, no certificates) for one test's resources, with every
/// backend as an instance of the service it names, and a client using its outbound listener as HTTP proxy.
/// </summary>
public sealed class PlainSidecar : IAsyncDisposable
{
    private PlainSidecar(ProxyProcess proxy, HttpClient client, int outboundPort)
    {
        Proxy = proxy;
        Client = client;
        OutboundPort = outboundPort;
    }

    public ProxyProcess Proxy { get; }
    public HttpClient Client { get; }
    public int OutboundPort { get; }

    public static Task<PlainSidecar> StartAsync(string name, IReadOnlyList<Resource> resources, params (string Service, ScriptedBackend Backend)[] instances) =>
        StartAsync(name, resources, [], instances);

    /// <param name="settings">More proxy command-line settings ("--Proxy:X", "value").</param>
    public static async Task<PlainSidecar> StartAsync(string name, IReadOnlyList<Resource> resources, IReadOnlyList<string> settings, params (string Service, ScriptedBackend Backend)[] instances)
    {
        var outboundPort = FreePort.Next();
        var snapshot = SnapshotHash.WithHash(SnapshotCompiler.Compile(new SnapshotInputs
        {
            Resources = resources,
            Instances = instances.Select(i => new Instance
            {
                Id = i.Backend.Name,
                Service = i.Service,
                Version = "v1",
                Address = i.Backend.Address,
                ProxyId = i.Backend.Name,
                Health = InstanceHealth.Healthy,
            }).ToArray(),
            Proxy = new ProxyIdentity { ProxyId = name, Service = "client", Version = "v1", OutboundPort = outboundPort },
            Version = 1,
        }));
        var proxy = await ProxyProcess.StartAsync(snapshot, name, settings: settings);
        return new PlainSidecar(proxy, ProxyProcess.OutboundClient(outboundPort), outboundPort);
    }

    public static Service Service(string name) => new()
    {
        Metadata = new ResourceMetadata { Name = name },
        Versions = [new ServiceVersion { Name = "v1" }],
    };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Proxy.DisposeAsync();
    }
}
