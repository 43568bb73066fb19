using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// Relays an intercepted connection the proxy does not understand to where the app was going, as
/// plain TCP both ways (half-closes passed on), counted in <see cref="PassthroughMetrics"/>. The
/// proxy's own connect is not intercepted again: the rules exempt the proxy's uid or gid.
/// </summary>
public static class TcpPassthrough
{
    private const int ChunkSize = 16 * 1024;

    public static async Task RelayAsync(ConnectionContext connection, IPEndPoint destination, TimeSpan connectTimeout, ILogger logger)
    {
        using var upstream = new Socket(destination.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connecting = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
            connecting.CancelAfter(connectTimeout);
            await upstream.ConnectAsync(destination, connecting.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            PassthroughMetrics.ConnectFailures.Inc();
            logger.LogInformation("TCP passthrough to {Destination} failed: {Reason}", destination, ex.Message);
            return;
        }

        PassthroughMetrics.Connections.Inc();
        PassthroughMetrics.Active.Inc();
        var started = Stopwatch.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        try
        {
            await Task.WhenAll(
                PumpAsync(() => ToUpstreamAsync(connection.Transport.Input, upstream, stop.Token), stop),
                PumpAsync(() => ToAppAsync(upstream, connection.Transport.Output, stop.Token), stop));
        }
        finally
        {
            PassthroughMetrics.Active.Dec();
            PassthroughMetrics.Duration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>A direction that fails (reset, abort) ends the other one too: the relay is over.</summary>
    private static async Task PumpAsync(Func<Task> pump, CancellationTokenSource stop)
    {
        try
        {
            await pump();
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ConnectionResetException or ConnectionAbortedException or ObjectDisposedException)
        {
            await stop.CancelAsync();
        }
    }

    private static async Task ToUpstreamAsync(PipeReader app, Socket upstream, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await app.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                var sent = 0;
                while (sent < segment.Length)
                    sent += await upstream.SendAsync(segment[sent..], SocketFlags.None, cancellationToken);
                PassthroughMetrics.SentBytes.Inc(segment.Length);
            }
            app.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
                break;
        }
        // The app closed its side: pass the half-close on and keep reading the answer.
        upstream.Shutdown(SocketShutdown.Send);
    }

    private static async Task ToAppAsync(Socket upstream, PipeWriter app, CancellationToken cancellationToken)
    {
        while (true)
        {
            var memory = app.GetMemory(ChunkSize);
            var read = await upstream.ReceiveAsync(memory, SocketFlags.None, cancellationToken);
            if (read == 0)
                break;
            PassthroughMetrics.ReceivedBytes.Inc(read);
            app.Advance(read);
            var flushed = await app.FlushAsync(cancellationToken);
            if (flushed.IsCompleted)
                return;
        }
        await app.CompleteAsync();
    }
}
