using Grpc.Core;
using Meshwork.Portal.Hosting;
using Meshwork.Protocol.Status;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Live;

/// <summary>
/// Keeps one Watch stream open to every control plane replica (gRPC at each Portal:ControlPlane:Address
/// entry, TLS verified against Portal:ControlPlane:TrustBundleFile) and feeds <see cref="MeshStatusState"/>.
/// Each replica aggregates only the proxies connected to it, so the portal needs them all; each stream
/// reconnects on its own with backoff (1 s doubling to 15 s) when it breaks.
/// </summary>
public sealed class MeshStatusWatcher(MeshStatusState state, IOptions<PortalOptions> options, ILogger<MeshStatusWatcher> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(state.Addresses.Select(address => WatchAsync(address, stoppingToken)));

    private async Task WatchAsync(string address, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var channel = ControlPlaneTls.Channel(address, options.Value.ControlPlane.TrustBundleFile, logger, options.Value.ControlPlane.TrustDomain);
                var client = new MeshStatus.MeshStatusClient(channel);
                using var call = client.Watch(new WatchRequest { MinIntervalMs = 500 },
                    StatusStreamAuthentication.Headers(options.Value.ControlPlane.StatusToken), cancellationToken: stoppingToken);
                await foreach (var update in call.ResponseStream.ReadAllAsync(stoppingToken))
                {
                    state.Apply(address, update);
                    delay = TimeSpan.FromSeconds(1);
                }
                state.Disconnected(address, "the control plane ended the status stream");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or IOException or InvalidOperationException)
            {
                var reason = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
                state.Disconnected(address, reason);
                logger.LogWarning("Control plane status stream at {Address} unavailable ({Reason}); retrying in {Delay}", address, reason, delay);
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
