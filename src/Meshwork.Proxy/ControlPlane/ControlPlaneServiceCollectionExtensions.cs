using Meshwork.Protocol.Transport;
using Meshwork.Proxy.Config;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.ControlPlane;

public static class ControlPlaneServiceCollectionExtensions
{
    /// <summary>
    /// Makes the control plane stream the proxy's snapshot source (and a stats subscriber, so the
    /// proxy's 1 s traffic reports go up the same stream). Bound from the "ControlPlaneClient" section.
    /// </summary>
    public static IServiceCollection AddControlPlaneSnapshotSource(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ControlPlaneClientOptions>(configuration.GetSection(ControlPlaneClientOptions.Section));
        // Refuse to start rather than retry forever against a control plane it could never trust.
        services.AddOptions<ControlPlaneClientOptions>()
            .Validate(o => !ControlPlaneTls.RequiresTls(o.Address) || !string.IsNullOrWhiteSpace(o.TrustBundleFile),
                "ControlPlaneClient:Address is https:// but ControlPlaneClient:TrustBundleFile is not set: give the mesh root PEM the control plane writes to ControlPlane:TrustBundleFile.")
            .ValidateOnStart();
        services.AddSingleton<ControlPlaneSnapshotSource>();
        services.AddSingleton<ISnapshotSource>(sp => sp.GetRequiredService<ControlPlaneSnapshotSource>());
        services.AddSingleton<IProxyStatsSubscriber>(sp => sp.GetRequiredService<ControlPlaneSnapshotSource>());
        return services;
    }
}
