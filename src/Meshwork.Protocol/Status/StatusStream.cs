using Grpc.Core;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Logging;

namespace Meshwork.Protocol.Status;

/// <summary>Where and how to watch one control plane replica's status stream.</summary>
/// <param name="TrustBundleFile">The mesh root (PEM) an https:// control plane is verified against.</param>
/// <param name="MinIntervalMs">Asked of the control plane: the least time between change updates.</param>
public sealed record StatusStreamOptions(string Address, string? StatusToken, string? TrustBundleFile,
    string TrustDomain = ControlPlaneIdentity.DefaultTrustDomain, int MinIntervalMs = 500);

/// <summary>
/// Keeps one Watch stream open to one control plane replica and folds what it says into a
/// <see cref="StatusFold"/>: reconnects with backoff (1 s doubling to 15 s) when it breaks, marking
/// the fold disconnected with the reason meanwhile (its last state stays, stale).
/// </summary>
public static class StatusStream
{
    /// <param name="changed">Called after every update or disconnect (on the stream's thread: hand off, don't block).</param>
    public static async Task WatchAsync(StatusStreamOptions options, StatusFold fold, Action changed, ILogger logger, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var channel = ControlPlaneTls.Channel(options.Address, options.TrustBundleFile, logger, options.TrustDomain);
                var client = new MeshStatus.MeshStatusClient(channel);
                using var call = client.Watch(new WatchRequest { MinIntervalMs = options.MinIntervalMs },
                    StatusStreamAuthentication.Headers(options.StatusToken), cancellationToken: stoppingToken);
                await foreach (var update in call.ResponseStream.ReadAllAsync(stoppingToken))
                {
                    fold.Apply(update);
                    changed();
                    delay = TimeSpan.FromSeconds(1);
                }
                fold.Disconnected("the control plane ended the status stream");
                changed();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or IOException or InvalidOperationException)
            {
                var reason = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
                fold.Disconnected(reason);
                changed();
                logger.LogWarning("Control plane status stream at {Address} unavailable ({Reason}); retrying in {Delay}", options.Address, reason, delay);
            }
            try
            {
                await Task.Delay(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(15).Ticks));
        }
    }
}
