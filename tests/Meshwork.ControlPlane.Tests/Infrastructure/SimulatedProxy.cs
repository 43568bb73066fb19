using Meshwork.Testing.Processes;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Snapshots;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>
/// A protocol-level proxy: says Hello, records every snapshot, ACKs (or NACKs, when told to).
/// Used where a real proxy process adds nothing (token refusal, fleet status, NACK bookkeeping).
/// </summary>
public sealed class SimulatedProxy : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<ProxyMessage, ControlMessage> call;
    private readonly Channel<ProxySnapshot> snapshots = Channel.CreateUnbounded<ProxySnapshot>();
    private readonly CancellationTokenSource stop = new();
    private readonly SemaphoreSlim writeGate = new(1, 1);
    private readonly Task reader;
    private readonly Task keepAlive;

    private SimulatedProxy(AsyncDuplexStreamingCall<ProxyMessage, ControlMessage> call, Func<ProxySnapshot, string?> nackReason, bool silent)
    {
        this.call = call;
        reader = Task.Run(() => ReadAsync(nackReason));
        keepAlive = silent ? Task.CompletedTask : Task.Run(KeepAliveAsync);
    }

    public ProxySnapshot? Latest { get; private set; }

    /// <summary>How the stream ended (null while open).</summary>
    public RpcException? Failure { get; private set; }

    public int Received { get; private set; }

    /// <summary>The last live-tap instruction the control plane sent (null: none yet).</summary>
    public TapControl? LastTap { get; private set; }

    /// <summary>Sends any message up, as a proxy that may be lying would.</summary>
    public Task SendAsync(ProxyMessage message) => WriteAsync(message);

    /// <param name="silent">
    /// Send nothing after the Hello but ACKs (a proxy whose machine vanished without closing the
    /// connection); otherwise an empty Stats message every second, as a real proxy reports.
    /// </param>
    public static async Task<SimulatedProxy> ConnectAsync(GrpcChannel channel, Hello hello, Func<ProxySnapshot, string?>? nackReason = null,
        bool silent = false)
    {
        var call = new MeshControl.MeshControlClient(channel).Connect();
        await call.RequestStream.WriteAsync(new ProxyMessage { Hello = hello });
        return new SimulatedProxy(call, nackReason ?? (_ => null), silent);
    }

    private async Task KeepAliveAsync()
    {
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(stop.Token))
                await WriteAsync(new ProxyMessage { Stats = new global::Meshwork.Protocol.Mesh.Stats() });
        }
        catch (Exception)
        {
            // Stopped, or the stream ended: the reader records how.
        }
    }

    private async Task WriteAsync(ProxyMessage message)
    {
        await writeGate.WaitAsync(stop.Token);
        try
        {
            await call.RequestStream.WriteAsync(message);
        }
        finally
        {
            writeGate.Release();
        }
    }

    public static Hello HelloFor(string token, string proxyId, string service, string version = "v1", string ns = "default",
        byte[]? signingRequest = null) => new()
    {
        BootstrapToken = token,
        ProxyId = proxyId,
        Service = service,
        Namespace = ns,
        Version = version,
        InstanceAddress = $"127.0.0.1:{FreePort.Next()}",
        Ports = { new NamedPort { Name = "inbound", Port = 15006 }, new NamedPort { Name = "outbound", Port = 15001 } },
        CertificateSigningRequest = ByteString.CopyFrom(signingRequest ?? SigningRequest()),
    };

    /// <summary>A PKCS#10 request for a fresh P-256 key, as a real proxy sends it (the key is not kept: simulated proxies never serve TLS).</summary>
    public static byte[] SigningRequest(string subject = "CN=simulated-proxy")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSigningRequest();
    }

    private async Task ReadAsync(Func<ProxySnapshot, string?> nackReason)
    {
        try
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync(stop.Token))
            {
                if (message.MessageCase == ControlMessage.MessageOneofCase.Tap)
                {
                    LastTap = message.Tap;
                    continue;
                }
                var snapshot = ProxySnapshot.Parser.ParseFrom(message.Snapshot.Content);
                Received++;
                var reason = nackReason(snapshot);
                await WriteAsync(reason is null
                    ? new ProxyMessage { Ack = new Ack { Version = message.Snapshot.Version, Hash = message.Snapshot.Hash } }
                    : new ProxyMessage { Nack = new Nack { Version = message.Snapshot.Version, Hash = message.Snapshot.Hash, Error = reason } });
                if (reason is null) Latest = snapshot;
                await snapshots.Writer.WriteAsync(snapshot);
            }
        }
        catch (RpcException ex)
        {
            Failure = ex;
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            snapshots.Writer.TryComplete();
        }
    }

    /// <summary>The first received snapshot matching <paramref name="predicate"/> (earlier ones are skipped).</summary>
    public async Task<ProxySnapshot> WaitForAsync(Func<ProxySnapshot, bool> predicate, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await foreach (var snapshot in snapshots.Reader.ReadAllAsync(cts.Token))
            if (predicate(snapshot)) return snapshot;
        throw new InvalidOperationException($"stream ended without a matching snapshot: {Failure?.Status}");
    }

    /// <summary>Completes when the control plane ends the stream; returns the status.</summary>
    public async Task<RpcException?> CompletionAsync(TimeSpan timeout)
    {
        await reader.WaitAsync(timeout);
        return Failure;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        call.Dispose();
        try
        {
            await Task.WhenAll(reader, keepAlive);
        }
        catch (Exception)
        {
        }
        stop.Dispose();
        writeGate.Dispose();
    }
}
