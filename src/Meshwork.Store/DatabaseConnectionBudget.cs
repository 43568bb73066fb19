using System.Data.Common;
using Npgsql;

namespace Meshwork.Store;

/// <summary>
/// Caps a process's PostgreSQL connections and names them. Npgsql's default pool grows to 100 connections, which is
/// all of PostgreSQL's default max_connections: in a reconnect storm every joining proxy's token and join lookups ran
/// at once and two control plane replicas together asked for more than the server allows ("53300: sorry, too many
/// clients already", refusing proxies and starving the portal). With a cap the pool queues a burst instead. A cap or
/// application name already in the connection string wins. Used by the control plane
/// (ControlPlane:DatabaseMaxConnections) and the portal (Portal:DatabaseMaxConnections).
/// </summary>
public static class DatabaseConnectionBudget
{
    /// <summary>One process's connection name and the setting that caps it (named in the error a bad cap gets).</summary>
    public sealed record Client(string ApplicationName, string CapSetting);

    public static readonly Client ControlPlane = new("meshwork-control-plane", "ControlPlane:DatabaseMaxConnections");
    public static readonly Client Portal = new("meshwork-portal", "Portal:DatabaseMaxConnections");

    private static readonly string[] MaxPoolSizeKeys = ["Maximum Pool Size", "MaxPoolSize"];
    private static readonly string[] ApplicationNameKeys = ["Application Name", "ApplicationName"];

    public static string Apply(string connectionString, int maxConnections, Client client)
    {
        if (maxConnections < 1)
            throw new InvalidOperationException($"{client.CapSetting} must be at least 1 (it is {maxConnections}).");
        // DbConnectionStringBuilder holds only the keys the string names; Npgsql's builder reports every setting as present.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!MaxPoolSizeKeys.Any(given.ContainsKey)) builder.MaxPoolSize = maxConnections;
        // Named, so pg_stat_activity shows which process each connection belongs to.
        if (!ApplicationNameKeys.Any(given.ContainsKey)) builder.ApplicationName = client.ApplicationName;
        return builder.ConnectionString;
    }
}
