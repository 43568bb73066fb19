using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Registry;

/// <summary>An instance as the shared registry (PostgreSQL) holds it: written by whichever replica holds its proxy's stream.</summary>
public sealed record SharedInstance(Instance Instance, Guid ConnectionId, string ReplicaId)
{
    public ServiceRef Service => new(Instance.Service, Instance.Namespace);
}
