using Microsoft.Extensions.Logging;

namespace Meshwork.Store;

/// <summary>
/// LISTENs on <see cref="MeshworkDbContext.ChangesChannel"/>: committed resource changes, and
/// <see cref="ChangeNotification.Resync"/> after a lost connection.
/// </summary>
public sealed class ChangeListener(string connectionString, ILogger<ChangeListener>? logger = null)
    : NotificationListener<ChangeNotification>(connectionString, MeshworkDbContext.ChangesChannel, ApplicationName,
        ChangeNotification.Parse, ChangeNotification.Resync, logger)
{
    /// <summary>The listener's application_name, so it can be found in pg_stat_activity.</summary>
    public const string ApplicationName = "meshwork-change-listener";
}
