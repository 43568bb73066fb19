using System.Threading.Channels;
using Grpc.Core;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.Tests.Live;

/// <summary>
/// A stand-in control plane status endpoint: each Watch call streams what the test writes, until it completes the call;
/// each Tap call is recorded (its request, and whether it is still open) and streams the tap updates the test writes.
/// </summary>
public sealed class TestMeshStatusService : MeshStatus.MeshStatusBase
{
    private Channel<StatusUpdate> updates = Channel.CreateUnbounded<StatusUpdate>();
    private int calls;
    private readonly Channel<TapUpdate> tapUpdates = Channel.CreateUnbounded<TapUpdate>();
    private int openTaps;

    /// <summary>Tap calls open now (a call the portal cancels is closed).</summary>
    public int OpenTaps => Volatile.Read(ref openTaps);

    public TapRequest? LastTapRequest { get; private set; }

    public ValueTask SendAsync(TapUpdate update) => tapUpdates.Writer.WriteAsync(update);

    public int Calls => Volatile.Read(ref calls);

    public ValueTask SendAsync(StatusUpdate update) => updates.Writer.WriteAsync(update);

    /// <summary>Ends the current call (the portal sees the stream close) and prepares the next one.</summary>
    public void EndCall()
    {
        updates.Writer.Complete();
        updates = Channel.CreateUnbounded<StatusUpdate>();
    }

    public override async Task Tap(TapRequest request, IServerStreamWriter<TapUpdate> responseStream, ServerCallContext context)
    {
        LastTapRequest = request;
        Interlocked.Increment(ref openTaps);
        try
        {
            await foreach (var update in tapUpdates.Reader.ReadAllAsync(context.CancellationToken))
                await responseStream.WriteAsync(update, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref openTaps);
        }
    }

    public override async Task Watch(WatchRequest request, IServerStreamWriter<StatusUpdate> responseStream, ServerCallContext context)
    {
        Interlocked.Increment(ref calls);
        var reader = updates.Reader;
        await foreach (var update in reader.ReadAllAsync(context.CancellationToken))
            await responseStream.WriteAsync(update, context.CancellationToken);
    }
}
