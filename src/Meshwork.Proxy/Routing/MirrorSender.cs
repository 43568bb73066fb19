using Meshwork.Proxy.Config;
using Meshwork.Proxy.Resilience;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// Request mirroring (Envoy request_mirror_policies): a copy of the request, with its body when the
/// body was buffered (<see cref="RequestBodyBuffer"/>), goes to the mirror cluster fire-and-forget
/// through that cluster's own client (so mTLS and pools apply); its outcome never touches the live
/// response. A body too large to buffer is not mirrored (counted as skipped). The Host gets
/// "-shadow" appended, as in Envoy. Each mirror cluster has at most Proxy:MirrorMaxInFlight copies
/// in flight: a slow or stalled mirror target would otherwise pile up requests (each holding its
/// buffered body, up to <see cref="RequestBodyBuffer.Limit"/>) for the whole mirror timeout. A copy
/// beyond the cap is dropped and counted (per cluster and in total), never queued.
/// </summary>
public sealed class MirrorSender(ClusterCounterRegistry counters, IOptions<ProxyOptions> options, ILogger<MirrorSender> logger)
{
    private static readonly TimeSpan MirrorTimeout = TimeSpan.FromSeconds(10);
    private static readonly HashSet<string> SkippedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Content-Length",
    };

    private long sent;
    private long failed;
    private long skipped;
    private long dropped;

    public long Sent => Interlocked.Read(ref sent);
    public long Failed => Interlocked.Read(ref failed);
    public long Skipped => Interlocked.Read(ref skipped);

    /// <summary>Copies not sent because their cluster already had Proxy:MirrorMaxInFlight in flight.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <param name="body">The buffered body; null when the request has none or it was too large to buffer.</param>
    public void Send(HttpContext context, ClusterState cluster, bool hasBody, ReadOnlyMemory<byte>? body)
    {
        var destinations = cluster.DestinationsState.AvailableDestinations;
        var client = cluster.Model.HttpClient;
        if ((hasBody && body is null) || destinations.Count == 0)
        {
            Interlocked.Increment(ref skipped);
            return;
        }
        var clusterCounters = counters.For(cluster.ClusterId);
        if (!clusterCounters.TryStartMirror(options.Value.MirrorMaxInFlight))
        {
            Interlocked.Increment(ref dropped);
            return;
        }
        var destination = destinations[Random.Shared.Next(destinations.Count)];
        var request = new HttpRequestMessage(new HttpMethod(context.Request.Method),
            new Uri(new Uri(destination.Model.Config.Address), context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent()));
        // The buffer is never written after buffering, so the mirror can share it with the primary.
        if (hasBody && body is { } content)
            request.Content = new ReadOnlyMemoryContent(content);
        foreach (var header in context.Request.Headers)
        {
            if (SkippedHeaders.Contains(header.Key))
                continue;
            // Content-Type and the other content headers belong to the content, not the request.
            if (!request.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!))
                request.Content?.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!);
        }
        request.Headers.Host = context.Request.Host.Host + "-shadow";
        _ = SendAsync(client, request, clusterCounters);
    }

    private async Task SendAsync(HttpMessageInvoker client, HttpRequestMessage request, ClusterCounters clusterCounters)
    {
        using var timeout = new CancellationTokenSource(MirrorTimeout);
        try
        {
            using var response = await client.SendAsync(request, timeout.Token);
            Interlocked.Increment(ref sent);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            Interlocked.Increment(ref failed);
            logger.LogDebug(ex, "Mirror request to {Uri} failed", request.RequestUri);
        }
        finally
        {
            request.Dispose();
            clusterCounters.EndMirror();
        }
    }
}
