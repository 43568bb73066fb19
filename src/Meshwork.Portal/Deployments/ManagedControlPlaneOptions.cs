namespace Meshwork.Portal.Deployments;

/// <summary>
/// "Portal:Fleet:ControlPlane": the control plane replicas the local driver runs itself. With
/// <see cref="Path"/> set the portal starts, supervises, stops and re-adopts them like its other
/// processes; empty (the default) the control plane is run by someone else (a launcher, Kubernetes,
/// a test) and the portal only connects to Portal:ControlPlane:Address.
/// </summary>
public sealed class ManagedControlPlaneOptions
{
    public const string Section = FleetOptions.Section + ":ControlPlane";

    /// <summary>The control plane: a published folder (holding Meshwork.ControlPlane.dll or its executable), a .dll or an executable.</summary>
    public string? Path { get; set; }

    /// <summary>Replicas over the one database; replica k is "control-plane" (k = 1) or "control-plane-k".</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>Replica 1's gRPC (TLS) port; replica k's is this + <see cref="PortStride"/> * (k - 1).</summary>
    public int GrpcPort { get; set; } = 15010;

    /// <summary>Replica 1's health port; replica k's is this + <see cref="PortStride"/> * (k - 1).</summary>
    public int HttpPort { get; set; } = 15014;

    /// <summary>10, not 2: with the default ports no replica's gRPC port is another's health port.</summary>
    public int PortStride { get; set; } = 10;

    /// <summary>The control plane's own connection string (its restricted database role, not the portal's).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>ControlPlane:CaKeyEncryptionKey for every replica (the stored CA key is sealed with it).</summary>
    public string? CaKeyEncryptionKey { get; set; }

    public bool IsManaged => !string.IsNullOrWhiteSpace(Path);

    /// <summary>Every problem with the settings when managed, each naming its setting; empty when usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        if (!IsManaged) return [];
        var problems = new List<string>();
        if (Replicas is < 1 or > 9) problems.Add($"{Section}:Replicas must be 1 to 9 (got {Replicas})");
        if (PortStride < 1) problems.Add($"{Section}:PortStride must be at least 1 (got {PortStride})");
        var lastOffset = PortStride * (Math.Max(Replicas, 1) - 1);
        if (GrpcPort < 1024 || GrpcPort + lastOffset > 65535) problems.Add($"{Section}:GrpcPort ({GrpcPort}) leaves some replica's port outside 1024..65535");
        if (HttpPort < 1024 || HttpPort + lastOffset > 65535) problems.Add($"{Section}:HttpPort ({HttpPort}) leaves some replica's port outside 1024..65535");
        if (Replicas > 1 && PortStride > 0 && (HttpPort - GrpcPort) % PortStride == 0)
            problems.Add($"{Section}:GrpcPort ({GrpcPort}) and HttpPort ({HttpPort}) differ by a multiple of PortStride ({PortStride}): one replica's gRPC port would be another's health port");
        if (string.IsNullOrWhiteSpace(ConnectionString)) problems.Add($"{Section}:ConnectionString is required (the control plane's database role)");
        if (string.IsNullOrWhiteSpace(CaKeyEncryptionKey)) problems.Add($"{Section}:CaKeyEncryptionKey is required (the key the stored CA key is sealed with)");
        return problems;
    }
}
