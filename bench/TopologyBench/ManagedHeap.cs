using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace TopologyBench;

/// <summary>
/// Another .NET process's managed heap (every generation, large and pinned objects included) right after a full
/// blocking collection, read over the runtime's diagnostics port (EventPipe) as dotnet-gcdump does: enabling the
/// runtime provider's GCHeapCollect keyword makes that process collect, and its heap statistics event follows.
/// What is alive then is what the process holds, without the garbage that makes its RSS swing by megabytes.
/// </summary>
internal static class ManagedHeap
{
    public static async Task<long> AfterFullCollectionAsync(int processId, TimeSpan timeout)
    {
        var client = new DiagnosticsClient(processId);
        var provider = new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational,
            (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect));
        using var session = client.StartEventPipeSession(provider, requestRundown: false);
        using var source = new EventPipeEventSource(session.EventStream);
        var induced = false;
        var bytes = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Clr.GCStart += e => induced |= e.Reason == GCReason.Induced && e.Depth == 2;
        source.Clr.GCHeapStats += e =>
        {
            if (!induced) return;
            // Per generation on stderr: pooled transport buffers live on the pinned heap (gen 4), big arrays on the large one (3).
            Console.Error.WriteLine($"heap after full GC (kB): gen0 {e.GenerationSize0 / 1024} gen1 {e.GenerationSize1 / 1024} gen2 {e.GenerationSize2 / 1024} large {e.GenerationSize3 / 1024} pinned {e.GenerationSize4 / 1024}");
            bytes.TrySetResult(e.GenerationSize0 + e.GenerationSize1 + e.GenerationSize2 + e.GenerationSize3 + e.GenerationSize4);
        };
        var processing = Task.Run(source.Process);
        try
        {
            return await bytes.Task.WaitAsync(timeout);
        }
        finally
        {
            await session.StopAsync(CancellationToken.None);
            await processing;
        }
    }
}
