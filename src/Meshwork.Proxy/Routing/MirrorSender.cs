using Yarp.ReverseProxy.Model;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// Request mirroring (Envoy request_mirror_policies): a copy of a bodiless request goes to the
/// mirror cluster fire-and-forget through that cluster's own client (so mTLS and pools apply);
/// its outcome never touches the live response. The Host gets "-shadow" appended, as in Envoy.
/// </summary>
public sealed class MirrorSender(ILogger<MirrorSender> logger)
{
    private static readonly TimeSpan MirrorTimeout = TimeSpan.FromSeconds(10);
    private static readonly HashSet<string> SkippedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Content-Length",
    };

    private long sent;
    private long failed;
    private long skipped;

    public long Sent => Interlocked.Read(ref sent);
    public long Failed => Interlocked.Read(ref failed);
    public long Skipped => Interlocked.Read(ref skipped);

    public void Send(HttpContext context, ClusterState cluster, bool hasBody)
    {
        var destinations = cluster.DestinationsState.AvailableDestinations;
        var client = cluster.Model.HttpClient;
        if (hasBody || destinations.Count == 0)
        {
            Interlocked.Increment(ref skipped);
            return;
        }
        var destination = destinations[Random.Shared.Next(destinations.Count)];
        var request = new HttpRequestMessage(new HttpMethod(context.Request.Method),
            new Uri(new Uri(destination.Model.Config.Address), context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent()));
        foreach (var header in context.Request.Headers)
        {
            if (!SkippedHeaders.Contains(header.Key))
                request.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!);
        }
        request.Headers.Host = context.Request.Host.Host + "-shadow";
        _ = SendAsync(client, request);
    }

    private async Task SendAsync(HttpMessageInvoker client, HttpRequestMessage request)
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
        }
    }
}
