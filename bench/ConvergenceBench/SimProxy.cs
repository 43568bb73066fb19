using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Snapshots;
using Meshwork.Proxy.ControlPlane;

namespace ConvergenceBench;

/// <summary>
/// A lightweight proxy: the real stream protocol (Hello with token, parse every snapshot, ACK,
/// app health every second) and the real proxy's jittered reconnect policy, without YARP.
/// Given several control plane replicas (addresses in the order of the proxy's address list, a
/// channel to each) it chooses and fails over between them with the real proxy's ControlPlaneFailover:
/// the first from its id, the next at once when a stream breaks, a backoff only after every replica
/// failed in a row.
/// </summary>
/// <param name="stats">Traffic to report with each app-health report (bench/topology.sh's synthetic mesh); null reports none.</param>
internal sealed class SimProxy(string[] addresses, IReadOnlyList<GrpcChannel> channels, Hello hello, Func<ProxySnapshot, string?> marker,
    Func<Stats>? stats = null)
{
    // Bench shortcut: a real proxy makes its own key, but 5,000 P-256 keys and CSRs would only time
    // the simulator. The control plane checks each Hello's CSR and signs a certificate for its public
    // key all the same, so a few keys shared across the simulated fleet cost it exactly as much.
    private static readonly ByteString[] SharedSigningRequests = Enumerable.Range(0, 4).Select(_ =>
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return ByteString.CopyFrom(new CertificateRequest("CN=bench-proxy", key, HashAlgorithmName.SHA256).CreateSigningRequest());
    }).ToArray();

    private readonly ControlPlaneFailover failover = new(addresses, hello.ProxyId, new ReconnectBackoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10)));
    private long servingVersion;
    private string servingHash = "";

    public string Id => hello.ProxyId;

    /// <summary>Stopwatch ticks of the last ACK and the marker (e.g. route target) in that snapshot.</summary>
    public long LastAckTicks { get; private set; }

    public string? LastMarker { get; private set; }

    /// <summary>Index (in the addresses given) of the replica it is connected or connecting to.</summary>
    public int Replica => Array.IndexOf(addresses, failover.Current);

    public async Task RunAsync(TimeSpan reportInterval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TimeSpan? retryAfter = null;
            try
            {
                using var call = new MeshControl.MeshControlClient(channels[Replica]).Connect(cancellationToken: ct);
                if (hello.CertificateSigningRequest.IsEmpty)
                    hello.CertificateSigningRequest = SharedSigningRequests[(int)((uint)Id.GetHashCode() % SharedSigningRequests.Length)];
                hello.CurrentVersion = servingVersion;
                hello.CurrentHash = servingHash;
                await call.RequestStream.WriteAsync(new ProxyMessage { Hello = hello }, ct);
                // As the real proxy: the control plane's response headers say the Hello was admitted (a
                // replica failed over to may push nothing), so the next loss starts a fresh failover cycle.
                await call.ResponseHeadersAsync;
                failover.Established();
                var writeLock = new SemaphoreSlim(1, 1);
                using var streamEnd = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var health = ReportAsync(call.RequestStream, writeLock, reportInterval, streamEnd.Token);
                try
                {
                    await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
                    {
                        var snapshot = ProxySnapshot.Parser.ParseFrom(message.Snapshot.Content);
                        await writeLock.WaitAsync(ct);
                        try
                        {
                            await call.RequestStream.WriteAsync(new ProxyMessage
                            {
                                Ack = new Ack { Version = message.Snapshot.Version, Hash = message.Snapshot.Hash },
                            }, ct);
                        }
                        finally
                        {
                            writeLock.Release();
                        }
                        servingVersion = message.Snapshot.Version;
                        servingHash = message.Snapshot.Hash;
                        LastMarker = marker(snapshot);
                        LastAckTicks = Stopwatch.GetTimestamp();
                    }
                }
                finally
                {
                    await streamEnd.CancelAsync();
                    await health;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                if (ex.Trailers.GetValue("retry-after-ms") is { } value && long.TryParse(value, out var ms))
                    retryAfter = TimeSpan.FromMilliseconds(ms);
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException or InvalidOperationException)
            {
            }
            try
            {
                await Task.Delay(failover.Failed(retryAfter), ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ReportAsync(IClientStreamWriter<ProxyMessage> stream, SemaphoreSlim writeLock, TimeSpan interval, CancellationToken ct)
    {
        if (interval <= TimeSpan.Zero) return;
        try
        {
            // Spread the fleet's reports over the interval instead of a thundering tick.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * interval.TotalMilliseconds), ct);
            using var timer = new PeriodicTimer(interval);
            do
            {
                await writeLock.WaitAsync(ct);
                try
                {
                    await stream.WriteAsync(new ProxyMessage
                    {
                        AppHealth = new AppHealth { Healthy = true, Detail = "sim", CheckedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                    }, ct);
                    if (stats is not null)
                        await stream.WriteAsync(new ProxyMessage { Stats = stats() }, ct);
                }
                finally
                {
                    writeLock.Release();
                }
            } while (await timer.WaitForNextTickAsync(ct));
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
        }
    }
}
