using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Admin;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.L4;
using Meshwork.Proxy.ControlPlane;
using Meshwork.Proxy.Interception;
using Meshwork.Proxy.Resilience;
using Meshwork.Proxy.Routing;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Security;
using Meshwork.Proxy.Telemetry;
using Meshwork.Proxy.Transport;
using Meshwork.ServiceDefaults;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Transforms;

// The rules installer shares the proxy's binary, as Istio's init container runs the proxy image.
if (args is [InterceptionRulesCommand.Name, ..])
    return InterceptionRulesCommand.Run(args[1..], Console.Out, Console.Error);

// The slim builder leaves out what a proxy never uses (IIS integration, config-driven HTTPS, static assets): less to load, less memory.
var builder = WebApplication.CreateSlimBuilder(args);
var options = builder.Configuration.GetSection(ProxyOptions.Section).Get<ProxyOptions>() ?? new ProxyOptions();
builder.Services.Configure<ProxyOptions>(builder.Configuration.GetSection(ProxyOptions.Section));

// The state folder holds the proxy's private key: owner-only, or the proxy does not start.
PrivateDirectory.Ensure(options.StateDirectory, $"{ProxyOptions.Section}:{nameof(ProxyOptions.StateDirectory)}");

// Tracing makes the YARP path start a span per request and send its own traceparent upstream; the lean
// path does neither, so the backend would see other trace headers depending on the engine. Auto (the
// default) therefore takes the lean path only without tracing; an explicit Lean with tracing is refused.
var tracing = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
if (options.Http1Engine == Http1Engine.Lean && tracing)
    throw new InvalidOperationException($"{ProxyOptions.Section}:{nameof(ProxyOptions.Http1Engine)} is Lean, which does not trace requests, and OTEL_EXPORTER_OTLP_ENDPOINT is set: use Kestrel (or Auto) with tracing.");

if (options.MirrorMaxInFlight < 1)
    throw new InvalidOperationException($"{ProxyOptions.Section}:{nameof(ProxyOptions.MirrorMaxInFlight)} is {options.MirrorMaxInFlight}: it must be at least 1 (mirror copies in flight per mirror cluster).");

// Ports are bound once: those not given on the command line come from the snapshot the proxy starts with.
var initial = StartupSnapshot.Read(options);
var listeners = StartupSnapshot.Listeners(options, initial);

// Full OpenTelemetry (spans per request, ASP.NET Core and HttpClient meters) costs the data path
// real CPU, so the proxy turns it on when there is a collector to send to. Without one, W3C trace
// headers still pass through unchanged and /metrics serves the proxy's own metrics.
if (tracing)
    builder.AddServiceDefaults();
builder.Logging.AddFilter("Yarp", LogLevel.Warning).AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
    // With this logger enabled ASP.NET Core creates an Activity per request (for log scopes) even when
    // nobody traces, and HttpClient then creates and propagates a child: real CPU on every request.
    .AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
PrometheusSetup.Configure();

InlineIo.Configure(builder.WebHost, options);

// The lean path runs on the proxy's own event loops (which need the inline I/O set just above): with the socket
// engine (Proxy:Transport=Sockets) Kestrel serves.
var epoll = ProxyTransport.UsesEpoll(options);
if (options.Http1Engine == Http1Engine.Lean && !epoll)
    throw new InvalidOperationException($"{ProxyOptions.Section}:{nameof(ProxyOptions.Http1Engine)} is Lean, which runs on the epoll transport, and {ProxyOptions.Section}:{nameof(ProxyOptions.Transport)} is {options.Transport} (or epoll is not available here): use Kestrel (or Auto).");
var http1Engine = options.Http1Engine switch
{
    Http1Engine.Auto => tracing || !epoll ? Http1Engine.Kestrel : Http1Engine.Lean,
    var chosen => chosen,
};

ProxyTransport.Configure(builder.WebHost, builder.Services, options);

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<MeshRuntime>();
builder.Services.AddSingleton(listeners);
builder.Services.AddSingleton<ClusterCounterRegistry>();
builder.Services.AddSingleton<ProxyStats>();
builder.Services.AddSingleton<RequestTap>();
builder.Services.AddSingleton<MirrorSender>();
builder.Services.AddSingleton<ClusterRoutes>();
builder.Services.AddSingleton<LastGoodSnapshotStore>();
builder.Services.AddSingleton<ProxyKey>();
builder.Services.AddSingleton<SnapshotApplier>();
builder.Services.AddSingleton<MeshProxyConfigProvider>();
builder.Services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<MeshProxyConfigProvider>());
builder.Services.AddReverseProxy().AddTransforms(context =>
{
    // The app's Host (authority) goes on to the next hop and to the destination app, as Envoy keeps
    // it: YARP would put the destination's address there (the app saw "127.0.0.1:8080"). A route's
    // URL rewrite of the hostname (below) still replaces it. On a TLS hop it is also the SNI.
    context.AddOriginalHost(true);
    context.AddRequestTransform(transform =>
    {
        if (transform.HttpContext.Features.Get<RequestPlan>() is { } plan)
        {
            if (plan.NeedsHandler)
                transform.ProxyRequest.Options.Set(RequestPlan.OptionKey, plan);
            if (plan.HostRewrite is { } host)
                transform.ProxyRequest.Headers.Host = host;
        }
        // A gRPC call goes on as HTTP/2 on every hop, also in cleartext (h2c) to the local app:
        // YARP's default (HTTP/2 or lower) negotiates HTTP/2 only over TLS, and gRPC needs its trailers.
        if (GrpcProtocol.IsGrpc(transform.HttpContext.Request))
        {
            transform.ProxyRequest.Version = System.Net.HttpVersion.Version20;
            transform.ProxyRequest.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        return ValueTask.CompletedTask;
    });
});
builder.Services.AddSingleton<IForwarderHttpClientFactory, MeshHttpClientFactory>();
builder.Services.AddSingleton<IPassiveHealthCheckPolicy, OutlierDetectionPolicy>();
builder.Services.AddSingleton<IActiveHealthCheckPolicy, ThresholdHealthPolicy>();
builder.Services.AddSingleton<ILoadBalancingPolicy, ConsistentHashPolicy>();
if (!string.IsNullOrWhiteSpace(options.SnapshotFile) && options.SnapshotFile is { } file)
    builder.Services.AddSingleton<ISnapshotSource>(sp => new FileSnapshotSource(Path.GetFullPath(file), sp.GetRequiredService<ILogger<FileSnapshotSource>>(), options.SnapshotFilePollInterval));
// The control-plane client (src/Meshwork.Proxy/ControlPlane/) registers its ISnapshotSource and IProxyStatsSubscriber here.
if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{ControlPlaneClientOptions.Section}:Address"]))
{
    builder.Services.AddControlPlaneSnapshotSource(builder.Configuration);
    builder.Services.AddSingleton<DrainOnStop>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<DrainOnStop>());
    // The drain runs inside the host's shutdown timeout: leave Kestrel its usual 30 s for the requests in flight after it.
    builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.DrainDelay + TimeSpan.FromSeconds(30));
}
builder.Services.AddSingleton<TcpClusterSlots>();
builder.Services.AddSingleton<TcpOutboundRelay>();
builder.Services.AddHostedService<TcpRouteListeners>();
builder.Services.AddSingleton<OutboundInterception>();
builder.Services.AddSingleton<LeanRouter>();
builder.Services.AddSingleton<LeanUpstreamPool>();
builder.Services.AddSingleton<LeanHttp1>();
builder.Services.AddHostedService<SnapshotSourceService>();
builder.Services.AddHostedService<StatsReporter>();
builder.Services.AddHostedService<IdleMemoryTrimmer>();

builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    // An h2c connection on the outbound listener passes Kestrel's protocol selection as if "h2" was
    // negotiated (H2cPriorKnowledge), which makes Kestrel take it for https; its requests declare
    // :scheme http. Requests keep the scheme they declare; nothing in the proxy trusts it.
    kestrel.AllowAlternateSchemes = true;
    var runtime = () => kestrel.ApplicationServices.GetRequiredService<MeshRuntime>().Current;
    // Outbound and admin stay local (LocalBindAddress); only inbound and gateway face the network (BindAddress).
    var network = ListenerAddresses.Parse(options.BindAddress, $"{ProxyOptions.Section}:{nameof(ProxyOptions.BindAddress)}");
    var local = ListenerAddresses.Parse(options.LocalBindAddress, $"{ProxyOptions.Section}:{nameof(ProxyOptions.LocalBindAddress)}");
    kestrel.Listen(local, listeners.AdminPort);
    foreach (var (port, kind) in listeners.Ports)
    {
        kestrel.Listen(kind == ListenerKind.Outbound ? local : network, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            // Apps speak HTTP/1.1 or h2c (gRPC) to their sidecar on the one outbound port.
            if (port == options.OutboundInterceptPort)
                kestrel.ApplicationServices.GetRequiredService<OutboundInterception>().Use(listen);
            // First, so it takes the socket before anything reads it: the HTTP/2 preface is not a lean request, so an h2c
            // connection is handed over untouched and the h2c check below sees it. Not on the interception port, whose
            // connections are sniffed first.
            if (kind == ListenerKind.Outbound && http1Engine == Http1Engine.Lean && port != options.OutboundInterceptPort)
                kestrel.ApplicationServices.GetRequiredService<LeanHttp1>().Use(listen, kestrel.Limits);
            if (kind == ListenerKind.Outbound)
                H2cPriorKnowledge.Use(listen, kestrel.Limits.KeepAliveTimeout);
            var tls = kind switch
            {
                ListenerKind.Inbound => options.InboundTls ?? StartupSnapshot.ListenerTls(initial, kind, defaultTls: true),
                ListenerKind.Gateway => options.GatewayTls ?? StartupSnapshot.ListenerTls(initial, kind, defaultTls: false),
                _ => false,
            };
            if (!tls)
                return;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificateSelector = (_, _) => runtime()?.Certificate,
                ClientCertificateMode = kind == ListenerKind.Inbound ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.NoCertificate,
                ClientCertificateValidation = (certificate, _, _) =>
                    runtime() is { } current && SpiffeCertificates.ChainsToBundle(certificate, current.TrustBundle, current.Intermediates),
                CheckCertificateRevocation = false,
                OnAuthenticate = kind == ListenerKind.Inbound ? (_, ssl) => TcpInboundRelay.OfferAlpn(ssl) : null,
            });
            // A sidecar's TCP relay (TcpRoute) arrives on the same mTLS port, told apart by ALPN after the handshake.
            if (kind == ListenerKind.Inbound)
                listen.Use(TcpInboundRelay.Middleware(() => kestrel.ApplicationServices.GetRequiredService<MeshRuntime>()));
        });
    }
});

var app = builder.Build();
// YARP registers the authorization services (to validate route policies), and WebApplication then
// adds an authorization middleware to every request unless the app placed one itself. The proxy's
// routes carry no authorization policy (access policy is MeshMiddleware's), so that middleware only
// cost an extra async layer per request (perf, native build: about 2.5% of the proxy's CPU). This is
// the marker UseAuthorization leaves; should a route ever carry a policy, ASP.NET Core refuses the
// request rather than skip the check.
((IApplicationBuilder)app).Properties["__AuthorizationMiddlewareSet"] = true;
app.MapWhen(context => context.Connection.LocalPort == listeners.AdminPort, admin => admin.Run(AdminEndpoints.HandleAsync));
app.UseRouting();
app.MapReverseProxy(pipeline =>
{
    pipeline.UseMiddleware<MeshMiddleware>();
    pipeline.UseLoadBalancing();
    pipeline.UsePassiveHealthChecks();
});
app.Run();
return 0;
