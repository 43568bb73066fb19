using Meshwork.Portal.Hosting;

namespace Meshwork.Portal.Deployments;

/// <summary>What every instance of the local driver runs and joins: the two binaries and the control plane the portal watches.</summary>
public sealed record LocalFleetBinaries(BinaryCommand Proxy, BinaryCommand DemoApps, string ControlPlaneAddress, string TrustBundleFile)
{
    /// <summary>Resolves the settings; throws naming the setting that is missing or wrong.</summary>
    public static LocalFleetBinaries From(FleetOptions fleet, ControlPlaneLinkOptions controlPlane)
    {
        var problems = fleet.Problems().ToList();
        if (string.IsNullOrWhiteSpace(controlPlane.Address))
            problems.Add("Portal:ControlPlane:Address is required when Portal:Fleet deploys processes (their sidecars join that control plane)");
        if (string.IsNullOrWhiteSpace(controlPlane.TrustBundleFile))
            problems.Add("Portal:ControlPlane:TrustBundleFile is required when Portal:Fleet deploys processes (their sidecars trust that root)");
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
        return new(
            BinaryCommand.Resolve($"{FleetOptions.Section}:ProxyPath", fleet.ProxyPath!, "Meshwork.Proxy"),
            BinaryCommand.Resolve($"{FleetOptions.Section}:DemoAppsPath", fleet.DemoAppsPath!, "Meshwork.DemoApps"),
            controlPlane.Address!, Path.GetFullPath(controlPlane.TrustBundleFile!));
    }
}
