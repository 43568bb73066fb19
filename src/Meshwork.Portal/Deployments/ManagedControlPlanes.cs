using Meshwork.Portal.Hosting;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// What the local driver needs to run the control plane replicas (Portal:Fleet:ControlPlane), resolved
/// once at start: the binary, the ports, and the settings every replica shares with the portal (status
/// token, trust bundle file, audit seal key), which go to the replicas by environment, never by argument.
/// </summary>
public sealed record ManagedControlPlanes(
    BinaryCommand Binary,
    int Replicas,
    int GrpcPort,
    int HttpPort,
    int PortStride,
    IReadOnlyDictionary<string, string> SharedEnvironment)
{
    /// <summary>
    /// Resolves the settings; throws naming every setting that is missing or wrong. <paramref name="listenAddress"/>:
    /// the replicas' ControlPlane:ListenAddress when not their loopback default (sidecars in network namespaces
    /// reach them at the host end of their veth).
    /// </summary>
    public static ManagedControlPlanes From(ManagedControlPlaneOptions options, ControlPlaneLinkOptions link, string? auditSealKey, string? listenAddress = null)
    {
        var problems = options.Problems().ToList();
        if (string.IsNullOrWhiteSpace(link.StatusToken))
            problems.Add("Portal:ControlPlane:StatusToken is required when the portal runs the control plane (it is the replicas' ControlPlane:StatusToken)");
        if (string.IsNullOrWhiteSpace(link.TrustBundleFile))
            problems.Add("Portal:ControlPlane:TrustBundleFile is required when the portal runs the control plane (the replicas write the mesh root there)");
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Meshwork"] = options.ConnectionString!,
            ["ControlPlane__CaKeyEncryptionKey"] = options.CaKeyEncryptionKey!,
            ["ControlPlane__StatusToken"] = link.StatusToken!,
            ["ControlPlane__TrustBundleFile"] = Path.GetFullPath(link.TrustBundleFile!),
        };
        if (!string.IsNullOrWhiteSpace(auditSealKey)) environment["Audit__SealKey"] = auditSealKey;
        if (listenAddress is not null) environment["ControlPlane__ListenAddress"] = listenAddress;
        return new(BinaryCommand.Resolve($"{ManagedControlPlaneOptions.Section}:Path", options.Path!, "Meshwork.ControlPlane"),
            options.Replicas, options.GrpcPort, options.HttpPort, options.PortStride, environment);
    }

    /// <summary>Replica k's name (its ControlPlane:ReplicaId): "control-plane" for k = 1, as with a single control plane.</summary>
    public static string NameOf(int replica) => replica == 1 ? "control-plane" : $"control-plane-{replica}";

    public int GrpcPortOf(int replica) => GrpcPort + PortStride * (replica - 1);

    public int HttpPortOf(int replica) => HttpPort + PortStride * (replica - 1);
}
