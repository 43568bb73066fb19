using Grpc.Core;
using Meshwork.Portal.Hosting;
using Meshwork.Protocol.Status;
using Meshwork.Protocol.Transport;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Live;

/// <summary>
/// Opens the live tap of one service (MeshStatus.Tap) on every control plane replica, as the status
/// watch does: each replica relays only the proxies connected to it, so the portal needs them all.
/// A call that breaks is opened again after a pause until the caller cancels; cancelling ends every
/// call, which is what stops the proxies' tap (the control plane stops it when its last watcher leaves).
/// </summary>
public sealed class LiveTapSource(IOptions<PortalOptions> options, ILogger<LiveTapSource> logger)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    public bool IsConfigured => ControlPlaneAddressList.Split(options.Value.ControlPlane.Address).Count > 0;

    /// <param name="onUpdate">Called with the replica's address and each update (on the call's thread: hand off, don't block).</param>
    /// <param name="onProblem">Called with the replica's address and why its call is down, or null once it delivers again.</param>
    public Task RunAsync(string service, string ns, Action<string, TapUpdate> onUpdate, Action<string, string?> onProblem, CancellationToken ct)
    {
        var addresses = ControlPlaneAddressList.Parse(options.Value.ControlPlane.Address, "Portal:ControlPlane:Address");
        return Task.WhenAll(addresses.Select(address => RunReplicaAsync(address, new TapRequest { Service = service, Namespace = ns }, onUpdate, onProblem, ct)));
    }

    private async Task RunReplicaAsync(string address, TapRequest request, Action<string, TapUpdate> onUpdate, Action<string, string?> onProblem,
        CancellationToken ct)
    {
        var link = options.Value.ControlPlane;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var channel = ControlPlaneTls.Channel(address, link.TrustBundleFile, logger, link.TrustDomain);
                using var call = new MeshStatus.MeshStatusClient(channel).Tap(request, StatusStreamAuthentication.Headers(link.StatusToken), cancellationToken: ct);
                await foreach (var update in call.ResponseStream.ReadAllAsync(ct))
                {
                    onProblem(address, null);
                    onUpdate(address, update);
                }
                onProblem(address, "the control plane ended the tap");
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or RpcException)
            {
                return;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.Unauthenticated or StatusCode.Unimplemented)
            {
                // Asking again would get the same answer.
                onProblem(address, $"{e.StatusCode}: {e.Status.Detail}");
                return;
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or IOException or InvalidOperationException)
            {
                var reason = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
                onProblem(address, reason);
                logger.LogWarning("Live tap of {Service} at {Address} unavailable ({Reason}); retrying in {Delay}", request.Service, address, reason, RetryDelay);
            }
            try
            {
                await Task.Delay(RetryDelay, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
