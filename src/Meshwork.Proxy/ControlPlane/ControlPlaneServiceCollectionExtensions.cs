using Meshwork.Proxy.Config;
using Meshwork.Proxy.Telemetry;
using Microsoft.Extensions.Options;

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
        services.AddSingleton<IValidateOptions<ControlPlaneClientOptions>, ControlPlaneClientOptionsValidator>();
        services.AddOptions<ControlPlaneClientOptions>().ValidateOnStart();
        services.AddSingleton<ControlPlaneClientCertificate>();
        services.AddSingleton<ControlPlaneSnapshotSource>();
        services.AddSingleton<ISnapshotSource>(sp => sp.GetRequiredService<ControlPlaneSnapshotSource>());
        services.AddSingleton<IProxyStatsSubscriber>(sp => sp.GetRequiredService<ControlPlaneSnapshotSource>());
        return services;
    }
}
