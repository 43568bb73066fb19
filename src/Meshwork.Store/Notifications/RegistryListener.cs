using Microsoft.Extensions.Logging;

namespace Meshwork.Store;

/// <summary>LISTENs on <see cref="MeshworkDbContext.RegistryChannel"/>: instances joined, changed or left.</summary>
public sealed class RegistryListener(string connectionString, ILogger<RegistryListener>? logger = null)
    : NotificationListener<RegistryNotification>(connectionString, MeshworkDbContext.RegistryChannel, ApplicationName,
        RegistryNotification.Parse, RegistryNotification.Resync, logger)
{
    public const string ApplicationName = "meshwork-registry-listener";
}
