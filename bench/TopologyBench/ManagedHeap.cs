using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace TopologyBench;

/// <summary>
/// Another .NET process's managed heap right after a full blocking collection, read over the runtime's diagnostics port
/// (EventPipe) as dotnet-gcdump does: enabling the runtime provider's GCHeapCollect keyword makes that process collect,
/// and its heap statistics event follows. <see cref="HeapAfterCollection.LiveBytes"/> is what survived that collection
/// (every generation, large and pinned objects included): what the process holds, without the garbage that makes its
/// RSS swing by megabytes. <see cref="HeapAfterCollection.SizeBytes"/> is the generations' size, which also counts the
/// free space between survivors: the large object heap is not compacted, so a few large arrays freed (a view of a big
/// mesh, a long message) leave megabytes of it that come and go between reads.
/// </summary>
internal static class ManagedHeap
{
    public static async Task<HeapAfterCollection> AfterFullCollectionAsync(int processId, TimeSpan timeout)
    {
        var client = new DiagnosticsClient(processId);
        var provider = new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational,
            (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect));
        using var session = client.StartEventPipeSession(provider, requestRundown: false);
        using var source = new EventPipeEventSource(session.EventStream);
        var induced = false;
        var heap = new TaskCompletionSource<HeapAfterCollection>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Clr.GCStart += e => induced |= e.Reason == GCReason.Induced && e.Depth == 2;
        source.Clr.GCHeapStats += e =>
        {
            if (!induced || heap.Task.IsCompleted) return;
            // After a full collection every survivor was promoted from (or stayed in) its generation: their sum is the live
            // heap. The pinned object heap reports no promotion (0 here on .NET 10), so its size stands in: it holds the
            // transport's pooled 4 kB blocks, rarely with gaps.
            var live = e.TotalPromotedSize0 + e.TotalPromotedSize1 + e.TotalPromotedSize2 + e.TotalPromotedSize3 + e.GenerationSize4;
            var size = e.GenerationSize0 + e.GenerationSize1 + e.GenerationSize2 + e.GenerationSize3 + e.GenerationSize4;
            // Per generation on stderr: pooled transport buffers live on the pinned heap (gen 4), big arrays on the large one (3).
            Console.Error.WriteLine($"heap after full GC (kB): live {live / 1024} (gen0 {e.TotalPromotedSize0 / 1024} gen1 {e.TotalPromotedSize1 / 1024} gen2 {e.TotalPromotedSize2 / 1024} large {e.TotalPromotedSize3 / 1024} pinned {e.GenerationSize4 / 1024}), size {size / 1024} (large {e.GenerationSize3 / 1024} pinned {e.GenerationSize4 / 1024})");
            heap.TrySetResult(new HeapAfterCollection(live, size));
        };
        var processing = Task.Run(source.Process);
        try
        {
            return await heap.Task.WaitAsync(timeout);
        }
        finally
        {
            await session.StopAsync(CancellationToken.None);
            await processing;
        }
    }
}

/// <param name="LiveBytes">What survived the full collection.</param>
/// <param name="SizeBytes">The generations' size after it, free space between survivors included.</param>
internal sealed record HeapAfterCollection(long LiveBytes, long SizeBytes);
