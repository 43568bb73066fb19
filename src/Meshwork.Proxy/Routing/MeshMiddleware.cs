using System.Diagnostics;
using Meshwork.Model.Policy;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;
using Meshwork.Protocol.Mesh;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.Resilience;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Security;
using Meshwork.Proxy.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// The mesh step of the YARP proxy pipeline. Inbound: identity from the peer certificate, access
/// policy, local rate limit, then the local app. Outbound and gateway: virtual host and rule
/// match, fault injection, redirect, header and URL filters, weighted cluster choice, circuit
/// breaking, mirroring; then YARP load-balances and forwards. Every request is counted.
/// </summary>
public sealed class MeshMiddleware(
    RequestDelegate next, MeshRuntime runtime, ListenerMap listeners, IProxyStateLookup lookup,
    ClusterCounterRegistry counters, ProxyStats stats, MirrorSender mirror, ClusterRoutes routes, RequestTap tap)
{
    public const string DeniedByHeader = "x-meshwork-denied-by";
    public const string OverflowHeader = "x-meshwork-overflow";
    public const string RateLimitedHeader = "x-meshwork-ratelimited";
    public const string FaultHeader = "x-meshwork-fault";
    public const string NoRouteHeader = "x-meshwork-no-route";
    public const string ConnectHeader = "x-meshwork-connect";
    public const string PathRejectedHeader = "x-meshwork-path-rejected";

    public async Task InvokeAsync(HttpContext context)
    {
        var snapshot = runtime.Current;
        if (snapshot is null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync("meshwork proxy: no snapshot applied yet");
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var kind = listeners.KindOf(context.Connection.LocalPort) ?? ListenerKind.Outbound;
        var edge = new Edge { Grpc = GrpcProtocol.IsGrpc(context.Request) };
        try
        {
            // Before anything reads the path: policies, routes and the upstream all see the normalised one.
            if (RequestPathNormalization.Apply(context, snapshot.Model.PathNormalization) is { } pathError)
            {
                await RefusePathAsync(context, snapshot.Model.Identity, kind, edge, pathError);
                return;
            }
            if (kind == ListenerKind.Inbound)
                await InboundAsync(context, snapshot, edge);
            else
                await RoutedAsync(context, snapshot, kind, edge, started);
        }
        finally
        {
            if (edge.DestinationVersion.Length == 0 &&
                context.GetReverseProxyFeature().ProxiedDestination?.Model.Config.Metadata?.GetValueOrDefault(YarpConfigBuilder.VersionKey) is { } version)
                edge.DestinationVersion = version;
            var aborted = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted;
            var status = aborted ? 0 : context.Response.StatusCode;
            var key = new TrafficKey(
                edge.Direction, edge.SourceService, edge.SourceNamespace, edge.SourceVersion,
                edge.DestinationService, edge.DestinationNamespace, edge.DestinationVersion, edge.Route, StatusClass(status),
                edge.Grpc && !aborted ? GrpcProtocol.StatusLabel(context) : "");
            var latency = Stopwatch.GetElapsedTime(started);
            stats.Record(key, latency, edge.Denied);
            // The tap covers the server side of this proxy's service: what reached it, whoever called.
            if (edge.Direction == Direction.Inbound)
                tap.Offer(context, edge.SourceService, edge.SourceNamespace, edge.DestinationService, edge.DestinationNamespace,
                    edge.DestinationVersion, status, latency);
        }
    }

    private async Task InboundAsync(HttpContext context, RuntimeSnapshot snapshot, Edge edge)
    {
        var identity = snapshot.Model.Identity;
        var certificate = context.Connection.ClientCertificate;
        var principal = certificate is null ? null : SpiffeCertificates.GetSpiffeId(certificate);
        var (sourceNamespace, sourceService) = AccessRequest.ParseSpiffeId(principal);
        edge.Direction = Direction.Inbound;
        edge.SourceService = sourceService ?? "unknown";
        edge.SourceNamespace = sourceNamespace ?? "";
        edge.DestinationService = identity.Service;
        edge.DestinationNamespace = identity.Namespace;
        edge.DestinationVersion = identity.Version;
        edge.Route = "inbound";

        var headers = context.Request.Headers;
        var decision = AccessPolicyEvaluator.Evaluate(snapshot.Policies, snapshot.DefaultMode, new AccessRequest
        {
            DestinationService = identity.Service,
            DestinationNamespace = identity.Namespace,
            SourcePrincipal = principal,
            SourceService = sourceService,
            SourceNamespace = sourceNamespace,
            Method = context.Request.Method,
            Path = context.Request.Path.Value ?? "/",
            Header = name => headers.TryGetValue(name, out var value) ? value.ToString() : null,
        });
        if (!decision.Allowed)
        {
            edge.Denied = true;
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.Headers[DeniedByHeader] = decision.DecidedBy;
            await context.Response.WriteAsync($"RBAC: access denied ({decision.Reason})");
            return;
        }

        if (snapshot.RateLimiter is { } limiter)
        {
            using var lease = limiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers[RateLimitedHeader] = "local";
                await context.Response.WriteAsync("local rate limit exceeded");
                return;
            }
        }

        if (!lookup.TryGetCluster(snapshot.Model.Inbound.AppCluster, out var app))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        context.ReassignProxyRequest(routes.For(context.GetRouteModel(), app), app);
        await next(context);
    }

    private async Task RoutedAsync(HttpContext context, RuntimeSnapshot snapshot, ListenerKind kind, Edge edge, long started)
    {
        var identity = snapshot.Model.Identity;
        edge.Direction = Direction.Outbound;
        edge.SourceService = identity.Service;
        edge.SourceNamespace = identity.Namespace;
        edge.SourceVersion = identity.Version;
        var request = context.Request;
        var host = request.Host.Host;
        // Never label by the raw Host header: clients could create unbounded metric series.
        edge.DestinationService = "unknown";

        if (HttpMethods.IsConnect(request.Method) && context.Features.Get<IHttpExtendedConnectFeature>() is not { IsExtendedConnect: true })
        {
            await RefuseTunnelAsync(context, edge);
            return;
        }
        if (kind == ListenerKind.Gateway)
            AddForwardedHeaders(context);
        var virtualHost = (kind == ListenerKind.Gateway ? snapshot.Gateway : snapshot.Outbound).Find(host);
        RouteMatcher? matcher = null;
        var rule = virtualHost?.Match(request, out matcher);
        if (rule is null)
        {
            edge.Route = "none";
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.Headers[NoRouteHeader] = virtualHost is null ? "host" : "rule";
            return;
        }
        edge.Route = rule.Model.RouteName;

        if (rule.Model.Fault is { } fault)
        {
            if (fault.Delay is { } delay && Roll(delay.Percent))
                await Task.Delay(delay.FixedDelay, context.RequestAborted);
            if (fault.Abort is { } abort && Roll(abort.Percent))
            {
                context.Response.StatusCode = abort.HttpStatus;
                context.Response.Headers[FaultHeader] = "abort";
                await context.Response.WriteAsync("fault filter abort");
                return;
            }
        }

        if (rule.Redirect is { } redirect)
        {
            context.Response.StatusCode = redirect.StatusCode;
            context.Response.Headers.Location = RedirectLocation(request, redirect, matcher);
            return;
        }

        if (rule.RequestHeaders is { } modifier)
            Apply(modifier, request.Headers);
        if (rule.Rewrite?.Path is { } rewrite)
            request.Path = RewritePath(request.Path.Value ?? "/", rewrite, matcher);

        var clusterName = rule.PickCluster();
        if (clusterName is null || !snapshot.Clusters.TryGetValue(clusterName, out var cluster))
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        edge.DestinationService = cluster.Service;
        edge.DestinationNamespace = cluster.Namespace;
        edge.DestinationVersion = cluster.Version;
        if (!lookup.TryGetCluster(clusterName, out var clusterState))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var clusterCounters = counters.For(clusterName);
        var overflow = clusterCounters.TryEnter(cluster.Settings.ConnectionPool);
        if (overflow is not null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers[OverflowHeader] = overflow;
            await context.Response.WriteAsync("upstream connect error or disconnect/reset before headers. reset reason: overflow");
            return;
        }
        try
        {
            var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;
            var retries = cluster.Settings.Retries;
            List<ClusterState>? mirrorClusters = null;
            foreach (var target in rule.Model.Mirrors)
            {
                if (Roll(target.Percent) && lookup.TryGetCluster(target.Cluster, out var mirrorCluster))
                    (mirrorClusters ??= []).Add(mirrorCluster);
            }
            // Only requests that will be retried or mirrored pay for buffering their body.
            ReadOnlyMemory<byte>? body = null;
            if (hasBody && (retries is not null || mirrorClusters is not null))
            {
                try
                {
                    body = await RequestBodyBuffer.TryBufferAsync(request, context.RequestAborted);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
                {
                    // The client broke off or sent a malformed body while it was read: nothing to forward.
                    context.Response.StatusCode = ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
                    return;
                }
            }
            if (mirrorClusters is not null)
            {
                foreach (var mirrorCluster in mirrorClusters)
                    mirror.Send(context, mirrorCluster, hasBody, body);
            }

            context.Features.Set(new RequestPlan
            {
                Counters = clusterCounters,
                Retries = retries,
                // A gRPC call's body is streamed and a copy kept for retries (ReplayableStreamContent), as Envoy does.
                Replayable = !hasBody || body is not null || edge.Grpc,
                BufferedBody = retries is null ? null : body,
                Grpc = edge.Grpc,
                RequestTimeout = edge.Grpc ? GrpcDeadline(request, rule.Model.RequestTimeout) : rule.Model.RequestTimeout,
                PerTryTimeout = rule.Model.BackendRequestTimeout ?? retries?.PerTryTimeout,
                HostRewrite = rule.Rewrite?.Hostname,
                StartedAt = started,
            });
            if (rule.ResponseHeaders is { } responseModifier)
            {
                context.Response.OnStarting(static state =>
                {
                    var (response, modifier) = ((HttpResponse, HeaderModifier))state;
                    Apply(modifier, response.Headers);
                    return Task.CompletedTask;
                }, (context.Response, responseModifier));
            }
            context.ReassignProxyRequest(routes.For(context.GetRouteModel(), clusterState), clusterState);
            await next(context);
        }
        finally
        {
            clusterCounters.Exit();
        }
    }

    /// <summary>
    /// A gRPC call's deadline (grpc-timeout) is its request timeout, capped by the route's, as
    /// Envoy's max_grpc_timeout. When the route's is shorter the upstream is told the deadline it
    /// really has. A malformed grpc-timeout is no deadline: the route's timeout applies.
    /// </summary>
    private static TimeSpan? GrpcDeadline(HttpRequest request, TimeSpan? routeTimeout)
    {
        if (GrpcProtocol.ParseTimeout(request.Headers[GrpcProtocol.TimeoutHeader]) is not { } deadline)
            return routeTimeout;
        if (routeTimeout is { } route && route < deadline)
        {
            request.Headers[GrpcProtocol.TimeoutHeader] = GrpcProtocol.FormatTimeout(route);
            return route;
        }
        return deadline;
    }

    /// <summary>
    /// An app sends CONNECT host:443 for https:// through HTTP_PROXY. Kestrel hands HTTP/1.1 CONNECT
    /// over as an ordinary bodiless request: the connection cannot be taken over for a tunnel
    /// (IHttpUpgradeFeature refuses: no Upgrade header), and bytes after the request would be parsed
    /// as the next request. Routed like any request it failed as a 502 and counted as an upstream
    /// failure, so it is refused plainly. A tunnel would not reach a mesh service anyway: its endpoints
    /// are sidecar inbound listeners that accept only mesh mTLS, and the model has no egress destinations.
    /// </summary>
    private static Task RefuseTunnelAsync(HttpContext context, Edge edge)
    {
        edge.Route = "connect";
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.Headers[ConnectHeader] = "refused";
        return context.Response.WriteAsync("meshwork sidecar: CONNECT tunnels are not offered; call http://SERVICE/ through this proxy, which adds mTLS");
    }

    /// <summary>A path that cannot be normalised safely (encoded slash, %00, malformed escape) is refused, as Envoy does.</summary>
    private static Task RefusePathAsync(HttpContext context, SnapshotIdentity identity, ListenerKind kind, Edge edge, string reason)
    {
        var inbound = kind == ListenerKind.Inbound;
        edge.Direction = inbound ? Direction.Inbound : Direction.Outbound;
        (edge.SourceService, edge.SourceNamespace) = inbound ? ("unknown", "") : (identity.Service, identity.Namespace);
        (edge.DestinationService, edge.DestinationNamespace) = inbound ? (identity.Service, identity.Namespace) : ("unknown", "");
        edge.Route = "bad-path";
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.Headers[PathRejectedHeader] = "true";
        return context.Response.WriteAsync($"meshwork proxy: request path refused: {reason}");
    }

    /// <summary>North/south traffic: tell the backend who the client was (Envoy's edge behaviour).</summary>
    private static void AddForwardedHeaders(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (context.Connection.RemoteIpAddress is { } ip)
            headers.Append("X-Forwarded-For", ip.ToString());
        // From the connection, not the request: an HTTP/2 client may declare any :scheme (AllowAlternateSchemes, Program.cs).
        headers["X-Forwarded-Proto"] = context.Features.Get<ITlsConnectionFeature>() is null ? "http" : "https";
        headers["X-Forwarded-Host"] = context.Request.Host.Value;
    }

    private static bool Roll(double percent) => percent >= 100 || (percent > 0 && Random.Shared.NextDouble() * 100 < percent);

    private static void Apply(HeaderModifier modifier, IHeaderDictionary headers)
    {
        foreach (var name in modifier.Remove)
            headers.Remove(name);
        foreach (var header in modifier.Set)
            headers[header.Name] = header.Value;
        foreach (var header in modifier.Add)
            headers.Append(header.Name, header.Value);
    }

    private static string RewritePath(string path, PathModifier rewrite, RouteMatcher? matcher)
    {
        if (rewrite.Type == PathModifierType.ReplaceFullPath)
            return rewrite.Value;
        var prefix = matcher?.MatchedPrefix ?? "";
        var rest = path.Length >= prefix.Length ? path[prefix.Length..] : "";
        var replaced = rewrite.Value.TrimEnd('/') + rest;
        return replaced.Length == 0 ? "/" : replaced[0] == '/' ? replaced : "/" + replaced;
    }

    private static string RedirectLocation(HttpRequest request, RequestRedirect redirect, RouteMatcher? matcher)
    {
        var scheme = redirect.Scheme ?? request.Scheme;
        var host = redirect.Hostname ?? request.Host.Host;
        var port = redirect.Port ?? (redirect.Scheme is null && redirect.Hostname is null ? request.Host.Port : null);
        var path = redirect.Path is { } p ? RewritePath(request.Path.Value ?? "/", p, matcher) : request.Path.Value ?? "/";
        var authority = port is { } value && !(scheme == "http" && value == 80) && !(scheme == "https" && value == 443) ? $"{host}:{value}" : host;
        return $"{scheme}://{authority}{path}{request.QueryString}";
    }

    /// <summary>The stats label of a status (0: no response, the client went away).</summary>
    internal static string StatusClass(int status) => status switch
    {
        >= 500 => "5xx",
        >= 400 => "4xx",
        >= 300 => "3xx",
        >= 200 => "2xx",
        _ => "0xx",
    };

    private sealed class Edge
    {
        public Direction Direction = Direction.Outbound;
        public string SourceService = "";
        public string SourceNamespace = "";
        public string SourceVersion = "";
        public string DestinationService = "";
        public string DestinationNamespace = "";
        public string DestinationVersion = "";
        public string Route = "";
        public bool Denied;
        public bool Grpc;
    }
}
