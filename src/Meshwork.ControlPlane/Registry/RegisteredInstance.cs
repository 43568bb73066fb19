using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Registry;

/// <summary>One proxy's instance as the registry holds it; <see cref="ConnectionId"/> tells reconnects apart.</summary>
public sealed record RegisteredInstance
{
    public required Instance Instance { get; init; }
    public required Guid ConnectionId { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public bool Gateway { get; init; }
    public bool Connected { get; init; } = true;
    public DateTimeOffset? DisconnectedAt { get; init; }

    public ServiceRef Service => new(Instance.Service, Instance.Namespace);
}

public readonly record struct ServiceRef(string Name, string Namespace)
{
    public override string ToString() => $"{Namespace}/{Name}";
}
