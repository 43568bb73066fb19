using ConvergenceBench;
using Grpc.Net.Client;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace TopologyBench;

/// <summary>
/// A synthetic mesh's fleet: one simulated proxy per service (bench/ConvergenceBench's SimProxy: the real stream
/// protocol, a real bootstrap token, 50 streams per HTTP/2 connection), each reporting its traffic every second to a
/// real control plane. Used by bench/topology.sh and by the E2E topology renderer journey.
/// </summary>
internal sealed class SyntheticFleet : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly GrpcChannel[] channels;
    private readonly Task[] proxies;

    public SyntheticFleet(SyntheticMesh mesh, string controlPlaneAddress, string trustBundle, string bootstrapToken)
    {
        channels = Enumerable.Range(0, (mesh.Services + 49) / 50).Select(_ => ControlPlaneTls.Channel(controlPlaneAddress, trustBundle, NullLogger.Instance)).ToArray();
        proxies = Enumerable.Range(0, mesh.Services).Select(i => new SimProxy([controlPlaneAddress], [channels[i / 50]], new Hello
        {
            BootstrapToken = bootstrapToken, ProxyId = $"bench-{i:D5}", Service = SyntheticMesh.Name(i), Namespace = "default", Version = "v1",
            InstanceAddress = $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}:15006",
            Ports = { new NamedPort { Name = "inbound", Port = 15006 }, new NamedPort { Name = "outbound", Port = 15001 } },
        }, _ => null, () => mesh.Report(i)))
            .Select(proxy => Task.Run(() => proxy.RunAsync(TimeSpan.FromSeconds(1), stop.Token))).ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(proxies);
        foreach (var channel in channels) channel.Dispose();
        stop.Dispose();
    }
}
