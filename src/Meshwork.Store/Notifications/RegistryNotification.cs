namespace Meshwork.Store;

/// <summary>
/// One message from <see cref="RegistryListener"/>: the registry changed (written by
/// <see cref="ReplicaId"/>), or a <see cref="Resync"/> after the listener reconnected.
/// </summary>
public sealed record RegistryNotification(string? ReplicaId)
{
    public static readonly RegistryNotification Resync = new((string?)null);

    public bool IsResync => ReplicaId is null;

    public static RegistryNotification? Parse(string payload) => payload.Length is > 0 and <= 253 ? new RegistryNotification(payload) : null;
}
