using Meshwork.ControlPlane.Tap;
using Meshwork.ControlPlane.Certificates;
using Meshwork.ControlPlane.Compilation;
using Meshwork.ControlPlane.Configuration;
using Meshwork.ControlPlane.Kubernetes;
using Meshwork.ControlPlane.Leadership;
using Meshwork.ControlPlane.Registry;
using Meshwork.ControlPlane.Rollouts;
using Meshwork.ControlPlane.Rollouts.Webhooks;
using Meshwork.ControlPlane.Stats;
using Meshwork.ControlPlane.Status;
using Meshwork.ControlPlane.Streams;
using Meshwork.ControlPlane.Tokens;
using Meshwork.Store;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using System.Net;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

builder.Services.Configure<ControlPlaneOptions>(builder.Configuration.GetSection(ControlPlaneOptions.Section));
var settings = builder.Configuration.GetSection(ControlPlaneOptions.Section).Get<ControlPlaneOptions>() ?? new ControlPlaneOptions();

var connectionString = DatabaseConnectionBudget.Apply(
    builder.Configuration.GetConnectionString("Meshwork") ?? throw new InvalidOperationException("ConnectionStrings:Meshwork is not set."),
    settings.DatabaseMaxConnections, DatabaseConnectionBudget.ControlPlane);
// The rollout controller's weight changes are audit entries: sealed with the same key as the portal's.
builder.Services.AddMeshworkStore(connectionString, builder.Configuration[AuditSealer.KeySetting]);
if (settings.Injection.Problems().ToList() is [_, ..] injectionProblems)
    throw new InvalidOperationException("The sidecar injection webhook cannot be served: " + string.Join("; ", injectionProblems));
if (settings.Kubernetes.Problems().ToList() is [_, ..] discoveryProblems)
    throw new InvalidOperationException("EndpointSlice discovery cannot start: " + string.Join("; ", discoveryProblems));

// gRPC over TLS (HTTP/2 via ALPN) for proxies and the portal, with a certificate from the mesh CA
// that is renewed in place; cleartext h2c only when asked for (development). A separate HTTP/1.1
// port for health probes (curl, orchestrators), which need no certificate.
builder.WebHost.ConfigureKestrel(kestrel =>
{
    var address = IPAddress.Parse(settings.ListenAddress);
    kestrel.Listen(address, settings.GrpcPort, listen =>
    {
        listen.Protocols = HttpProtocols.Http2;
        if (settings.GrpcPlaintext) return;
        var serverCertificate = kestrel.ApplicationServices.GetRequiredService<GrpcServerCertificate>();
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificateSelector = (_, _) => serverCertificate.Current(),
            // A proxy that joined before presents its workload certificate; the stream handler
            // (ProxyAuthenticator) checks it against the mesh root and the join record, and answers
            // with a gRPC status that says what is wrong instead of a failed handshake.
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (_, _, _) => true,
            CheckCertificateRevocation = false,
        });
    });
    if (settings.HttpPort > 0) kestrel.Listen(address, settings.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);
    // The sidecar injection webhook: the Kubernetes API server calls webhooks over HTTPS only, verifying
    // the certificate against the caBundle of the MutatingWebhookConfiguration.
    if (settings.Injection.Port > 0)
        kestrel.Listen(address, settings.Injection.Port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            var certificate = kestrel.ApplicationServices.GetRequiredService<WebhookCertificate>();
            listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificateSelector = (_, _) => certificate.Current() });
        });
    kestrel.Limits.Http2.MaxStreamsPerConnection = 10_000;
    // A peer that no longer answers PINGs (its machine vanished) loses its connection, and with it its streams.
    kestrel.Limits.Http2.KeepAlivePingDelay = settings.KeepAlivePingDelay;
    kestrel.Limits.Http2.KeepAlivePingTimeout = settings.KeepAlivePingDelay;
});

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<FleetState>();
builder.Services.AddSingleton<StatsAggregator>();
builder.Services.AddSingleton<TcpStatsAggregator>();
builder.Services.AddSingleton<MinuteRollups>();
builder.Services.AddSingleton<TcpMinuteRollups>();
builder.Services.AddSingleton<KnownRoutes>();
builder.Services.AddSingleton<ServiceRegistry>();
builder.Services.AddSingleton<ConnectionTable>();
builder.Services.AddSingleton<TapHub>();
builder.Services.AddHostedService<TapRenewal>();
builder.Services.AddSingleton<AdmissionLimiter>();
builder.Services.AddSingleton<FailedAttemptLimiter>();
builder.Services.AddSingleton<ProxyAuthenticator>();
builder.Services.AddSingleton<WorkloadCertificates>();
builder.Services.AddSingleton<GrpcServerCertificate>();
builder.Services.AddSingleton<CertificateAuthorityLoader>();
builder.Services.AddSingleton<BootstrapTokenValidator>();
builder.Services.AddSingleton<DesiredStateReader>();
builder.Services.AddSingleton<SharedRegistryReader>();
builder.Services.AddSingleton<LeaderElection>();
builder.Services.AddHostedService<ControlPlaneStartup>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<SharedRegistryReader>());
builder.Services.AddHostedService<RegistryLeaseWriter>();
builder.Services.AddHostedService<WorkloadCertificateWriter>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaderElection>());
builder.Services.AddSingleton<SnapshotPublisher>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<SnapshotPublisher>());
builder.Services.AddHostedService<StoreChangeSubscription>();
builder.Services.AddHostedService<RegistryHousekeeper>();
builder.Services.AddHostedService<TokenRevocationWatcher>();
builder.Services.AddSingleton<RouteSplitWriter>();
builder.Services.AddSingleton<CanaryIntervals>();
// Webhook requests: each attempt is bounded by the webhook's own timeout (WebhookClient), and a
// redirect is not followed, so the signed body goes only to the URL in the rollout.
builder.Services.AddHttpClient(WebhookClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
    .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) });
builder.Services.AddSingleton<WebhookSigner>();
builder.Services.AddSingleton<WebhookClient>();
builder.Services.AddSingleton<PreStepGates>();
builder.Services.AddSingleton<RolloutEvents>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<RolloutEvents>());
builder.Services.AddHostedService<RolloutController>();
builder.Services.AddHostedService<SignalHistoryWriter>();
builder.Services.AddHostedService<VersionTotalsWriter>();
builder.Services.AddSingleton<WebhookCertificate>();
if (settings.Kubernetes.WatchEndpointSlices)
{
    builder.Services.AddSingleton(_ => EndpointSliceDiscovery.CreateClient(settings.Kubernetes));
    builder.Services.AddHostedService<EndpointSliceDiscovery>();
}
builder.Services.AddGrpc(grpc => grpc.EnableDetailedErrors = false);

var app = builder.Build();
if (settings.GrpcPlaintext)
    app.Logger.LogWarning("ControlPlane:GrpcPlaintext is on: gRPC port {Port} is cleartext h2c, bootstrap and status tokens cross the network unencrypted. Development only.",
        settings.GrpcPort);
app.MapDefaultEndpoints();
app.MapReplicaEndpoint();
if (settings.Injection.Port > 0) app.MapInjectionEndpoint(settings.Injection.Port);
app.MapGrpcService<MeshControlService>();
app.MapGrpcService<MeshStatusService>();
app.Run();

/// <summary>Lets WebApplicationFactory and the test harness find the entry point.</summary>
public partial class Program;
