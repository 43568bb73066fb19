using System.Data.Common;
using Npgsql;

namespace Meshwork.ControlPlane.Configuration;

/// <summary>
/// Caps the control plane's PostgreSQL connections. Npgsql's default pool grows to 100 connections, which is
/// all of PostgreSQL's default max_connections: in a reconnect storm every joining proxy's token and join
/// lookups ran at once and two replicas together asked for more than the server allows
/// ("53300: sorry, too many clients already", refusing proxies and starving the portal). With a cap the
/// pool queues the storm's lookups instead. A cap or application name already in the connection string wins.
/// </summary>
public static class DatabaseConnectionBudget
{
    public const string ApplicationName = "meshwork-control-plane";

    private static readonly string[] MaxPoolSizeKeys = ["Maximum Pool Size", "MaxPoolSize"];
    private static readonly string[] ApplicationNameKeys = ["Application Name", "ApplicationName"];

    public static string Apply(string connectionString, int maxConnections)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConnections, 1);
        // DbConnectionStringBuilder holds only the keys the string names; Npgsql's builder reports every setting as present.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!MaxPoolSizeKeys.Any(given.ContainsKey)) builder.MaxPoolSize = maxConnections;
        // Named, so pg_stat_activity shows which connections are the control plane's.
        if (!ApplicationNameKeys.Any(given.ContainsKey)) builder.ApplicationName = ApplicationName;
        return builder.ConnectionString;
    }
}
