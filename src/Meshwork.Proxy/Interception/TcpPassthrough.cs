using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.L4;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// Relays an intercepted connection the proxy does not understand to where the app was going, as
/// plain TCP both ways (half-closes passed on), closed once no bytes move either way for the idle
/// timeout (as Istio's PassthroughCluster under the mesh's TCP idle timeout), counted in
/// <see cref="PassthroughMetrics"/>. The proxy's own connect is not intercepted again: the rules
/// exempt the proxy's uid or gid.
/// </summary>
public static class TcpPassthrough
{
    public static async Task RelayAsync(ConnectionContext connection, IPEndPoint destination, TimeSpan connectTimeout, TimeSpan idleTimeout, ILogger logger)
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
        try
        {
            await using var network = new NetworkStream(upstream, ownsSocket: false);
            // The relay's "received" is what the app sent: the metric names take the destination's side.
            var outcome = await ByteRelay.RunAsync(RelayEnd.Of(connection, SniffedInput.Take(connection.Transport.Input)), RelayEnd.Of(upstream, network),
                bytes => PassthroughMetrics.SentBytes.Inc(bytes), bytes => PassthroughMetrics.ReceivedBytes.Inc(bytes), idleTimeout, connection.ConnectionClosed);
            if (outcome.IdleTimedOut)
                PassthroughMetrics.Closed.WithLabels(PassthroughMetrics.IdleTimeout).Inc();
        }
        finally
        {
            // The duration first: a scrape that sees the connection gone from Active also sees it counted as ended.
            PassthroughMetrics.Duration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            PassthroughMetrics.Active.Dec();
        }
    }
}
