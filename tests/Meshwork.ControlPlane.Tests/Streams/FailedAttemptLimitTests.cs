using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.ControlPlane.Tests.Streams;

/// <summary>
/// A control plane that admits 3 new streams at once (and 1 per second after that) and lets one peer
/// fail 5 times: a flood of bad attempts from one address must neither use up the admission budget
/// (spent only after authentication) nor keep a genuine proxy on another address out.
/// </summary>
public sealed class FailedAttemptLimitTests(FailedAttemptLimitTests.Fixture fixture) : IClassFixture<FailedAttemptLimitTests.Fixture>
{
    public sealed class Fixture : ControlPlaneFixture
    {
        protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
        {
            ["ControlPlane__AdmissionBurst"] = "3",
            ["ControlPlane__AdmissionRatePerSecond"] = "1",
            ["ControlPlane__FailedAttemptBurst"] = "5",
            ["ControlPlane__FailedAttemptsPerSecond"] = "0.01",
        };
    }

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task FloodOfBadTokensFromOnePeer_IsLimited_AndAGenuineProxyStillJoins()
    {
        // The flood comes from 127.0.0.2 (another loopback address), the genuine proxy from 127.0.0.1.
        using var flooder = ChannelFrom(IPAddress.Parse("127.0.0.2"));
        var statuses = new List<RpcException?>();
        for (var i = 0; i < 12; i++)
            statuses.Add(await AttemptAsync(flooder, SimulatedProxy.HelloFor("mwbt_guessed-" + i, $"flood-{i}", "flood")));

        await using var genuine = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "genuine-1", "genuine"));
        var snapshot = await genuine.WaitForAsync(_ => true, Timeout);

        Assert.All(statuses.Take(5), s => Assert.Equal(StatusCode.PermissionDenied, s?.StatusCode));
        Assert.All(statuses.Skip(5), s =>
        {
            Assert.Equal(StatusCode.ResourceExhausted, s?.StatusCode);
            Assert.Contains("too many failed attempts from 127.0.0.2", s!.Status.Detail);
        });
        Assert.Equal("spiffe://cluster.local/ns/default/sa/genuine", snapshot.Identity.SpiffeId);
    }

    /// <summary>
    /// How the control plane ended the attempt. A limited peer is refused before its Hello is read, so
    /// sending the Hello may already fail (as Cancelled, on the client's side): the call's own status
    /// is what the response stream then reports.
    /// </summary>
    private static async Task<RpcException?> AttemptAsync(GrpcChannel channel, Meshwork.Protocol.Mesh.Hello hello)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        using var call = new MeshControl.MeshControlClient(channel).Connect(cancellationToken: deadline.Token);
        try
        {
            await call.RequestStream.WriteAsync(new ProxyMessage { Hello = hello });
        }
        catch (RpcException) when (!deadline.IsCancellationRequested)
        {
            // Ended by the control plane before it read the Hello: its status follows.
        }
        try
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync(deadline.Token))
            {
            }
            return null;
        }
        catch (RpcException refused)
        {
            return refused;
        }
    }

    /// <summary>A channel whose connections leave from <paramref name="source"/>.</summary>
    private GrpcChannel ChannelFrom(IPAddress source)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var address = fixture.ControlPlane.Address;
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = ControlPlaneTls.Secure(handler, address, fixture.ControlPlane.TrustBundleFile, NullLogger.Instance),
        });
    }
}
