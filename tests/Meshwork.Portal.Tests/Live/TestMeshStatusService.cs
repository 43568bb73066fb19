using System.Threading.Channels;
using Grpc.Core;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.Tests.Live;

/// <summary>A stand-in control plane status endpoint: each Watch call streams what the test writes, until it completes the call.</summary>
public sealed class TestMeshStatusService : MeshStatus.MeshStatusBase
{
    private Channel<StatusUpdate> updates = Channel.CreateUnbounded<StatusUpdate>();
    private int calls;

    public int Calls => Volatile.Read(ref calls);

    public ValueTask SendAsync(StatusUpdate update) => updates.Writer.WriteAsync(update);

    /// <summary>Ends the current call (the portal sees the stream close) and prepares the next one.</summary>
    public void EndCall()
    {
        updates.Writer.Complete();
        updates = Channel.CreateUnbounded<StatusUpdate>();
    }

    public override async Task Watch(WatchRequest request, IServerStreamWriter<StatusUpdate> responseStream, ServerCallContext context)
    {
        Interlocked.Increment(ref calls);
        var reader = updates.Reader;
        await foreach (var update in reader.ReadAllAsync(context.CancellationToken))
            await responseStream.WriteAsync(update, context.CancellationToken);
    }
}
