using System.Text.Json;
using Meshwork.Model.Resources;
using Meshwork.Store.Entities;

namespace Meshwork.ControlPlane.Registry;

/// <summary>Maps registry entries to and from rows of the shared registry table.</summary>
public static class RegistryRows
{
    public static RegistryInstanceRow ToRow(RegisteredInstance registered) => new()
    {
        ProxyId = registered.Instance.ProxyId,
        Service = registered.Instance.Service,
        Namespace = registered.Instance.Namespace,
        Version = registered.Instance.Version,
        Address = registered.Instance.Address,
        Health = registered.Instance.Health.ToString(),
        Labels = JsonSerializer.Serialize(registered.Labels),
        Gateway = registered.Gateway,
        ReplicaId = "",
        ConnectionId = registered.ConnectionId,
    };

    public static SharedInstance FromRow(RegistryInstanceRow row) => new(
        new Instance
        {
            Id = row.ProxyId,
            ProxyId = row.ProxyId,
            Service = row.Service,
            Namespace = row.Namespace,
            Version = row.Version,
            Address = row.Address,
            // A value this build does not know (written by a newer replica) reads as Unknown, which callers still use.
            Health = Enum.TryParse<InstanceHealth>(row.Health, out var health) ? health : InstanceHealth.Unknown,
        },
        row.ConnectionId,
        row.ReplicaId);
}
