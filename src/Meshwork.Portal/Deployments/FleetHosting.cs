using Meshwork.Portal.Hosting;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// Registers the driver Portal:Fleet:Driver chooses: Kubernetes, or local processes when Portal:Fleet
/// names both binaries (and the control plane replicas too when Portal:Fleet:ControlPlane:Path is set); otherwise there is no <see cref="IDeploymentDriver"/> and the Fleet page only watches.
/// </summary>
public static class FleetHosting
{
    public static WebApplicationBuilder AddFleet(this WebApplicationBuilder builder, PortalOptions portal)
    {
        var fleet = builder.Configuration.GetSection(FleetOptions.Section).Get<FleetOptions>() ?? new FleetOptions();
        if (fleet.Driver == FleetDriver.Kubernetes)
        {
            if (fleet.Kubernetes.Problems() is [_, ..] problems)
                throw new InvalidOperationException("The Kubernetes deployment driver cannot start: " + string.Join("; ", problems));
            builder.Services.AddSingleton(fleet.Kubernetes);
            builder.Services.AddSingleton(_ => KubernetesDeploymentDriver.CreateClient(fleet.Kubernetes));
            builder.Services.AddSingleton<KubernetesDeploymentDriver>();
            builder.Services.AddSingleton<IDeploymentDriver>(provider => provider.GetRequiredService<KubernetesDeploymentDriver>());
            builder.Services.AddHostedService(provider => provider.GetRequiredService<KubernetesDeploymentDriver>());
            return builder;
        }
        if (!fleet.IsConfigured) return builder;
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("Portal:Fleet runs local processes on Linux only (it supervises them through /proc); leave ProxyPath and DemoAppsPath empty elsewhere");
        // Resolved now: a wrong path or a missing control plane setting stops the portal's start, naming the setting.
        var binaries = LocalFleetBinaries.From(fleet, portal.ControlPlane);
        builder.Services.AddSingleton(fleet);
        builder.Services.AddSingleton(binaries);
        if (fleet.ControlPlane.IsManaged)
            builder.Services.AddSingleton(ManagedControlPlanes.From(fleet.ControlPlane, portal.ControlPlane, builder.Configuration["Audit:SealKey"],
                // Sidecars in network namespaces reach the replicas at the host end of their veth, not the host's loopback.
                listenAddress: fleet.Local.NetworkNamespaces.Enabled ? "0.0.0.0" : null));
        AddLocalDriver(builder.Services);
        return builder;
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void AddLocalDriver(IServiceCollection services)
    {
        services.AddSingleton<LocalProcessDriver>();
        services.AddSingleton<IDeploymentDriver>(provider => provider.GetRequiredService<LocalProcessDriver>());
        services.AddHostedService(provider => provider.GetRequiredService<LocalProcessDriver>());
    }
}
