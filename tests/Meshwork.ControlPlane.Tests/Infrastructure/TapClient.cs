using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Status;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>A watcher of a service's live tap (MeshStatus.Tap), as the portal opens it; disposing it ends the call.</summary>
public sealed class TapClient : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentQueue<RequestSample> samples = new();
    private readonly Task reading;
    private int proxies = -1;
    private long dropped;
    private int disposed;

    public TapClient(GrpcChannel channel, string service)
    {
        var call = new MeshStatus.MeshStatusClient(channel).Tap(new TapRequest { Service = service },
            StatusStreamAuthentication.Headers(ControlPlaneProcess.StatusToken), cancellationToken: stop.Token);
        reading = Task.Run(async () =>
        {
            using (call)
            {
                try
                {
                    await foreach (var update in call.ResponseStream.ReadAllAsync(stop.Token))
                    {
                        foreach (var sample in update.Samples) samples.Enqueue(sample);
                        Interlocked.Add(ref dropped, (long)update.Dropped);
                        Volatile.Write(ref proxies, update.Proxies);
                    }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
                {
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }
        });
    }

    public IReadOnlyList<RequestSample> Samples => samples.ToArray();

    /// <summary>Proxies the control plane says it asked to tap (-1 before the first update).</summary>
    public int Proxies => Volatile.Read(ref proxies);

    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Ends with the call's error when the control plane refused or broke it.</summary>
    public Task Completion => reading;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        await stop.CancelAsync();
        await reading;
        stop.Dispose();
    }
}
