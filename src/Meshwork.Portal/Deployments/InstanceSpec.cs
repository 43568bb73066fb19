using System.Text.Json;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// What the driver knows of one instance across portal restarts, saved as instance.json in the
/// instance's folder under Portal:Fleet:StateDirectory: what to run, on which ports, and whether an
/// operator wants it running (a stopped instance stays stopped after a portal restart).
/// </summary>
public sealed record InstanceSpec
{
    public const string FileName = "instance.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public required string Id { get; init; }
    public required string Role { get; init; }
    public required string Namespace { get; init; }
    public required string Service { get; init; }
    public required string Version { get; init; }
    public required int Index { get; init; }
    public required int AppPort { get; init; }
    public required int AdminPort { get; init; }
    public required int InboundPort { get; init; }
    public required int OutboundPort { get; init; }
    public int LatencyMs { get; init; }
    public double ErrorRate { get; init; }
    public bool Running { get; init; } = true;

    /// <summary>The /30 of Portal:Fleet:Local:NetworkNamespaces:Subnet its network namespace has; null: it runs on the host's loopback.</summary>
    public int? NetworkBlock { get; init; }

    /// <summary>The sidecar's id in the mesh (registry, status stream).</summary>
    public string ProxyId => "sidecar-" + Id;

    public static string IdFor(string service, string version, int index) => $"{service}-{version}-{index}";

    public void Save(string folder)
    {
        var path = Path.Combine(folder, FileName);
        File.WriteAllText(path + ".new", JsonSerializer.Serialize(this, Json));
        File.Move(path + ".new", path, overwrite: true);
    }

    public static InstanceSpec Load(string folder) =>
        JsonSerializer.Deserialize<InstanceSpec>(File.ReadAllText(Path.Combine(folder, FileName)), Json)
        ?? throw new InvalidDataException($"{Path.Combine(folder, FileName)} is empty");
}
