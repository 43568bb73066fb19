using System.Text.Json;
using Meshwork.Proxy.Tests.Infrastructure;

namespace Meshwork.Proxy.Tests.L4;

/// <summary>Reads the admin /stats document's TCP totals (the "tcp" array) of the L4 mesh's edges from web to echo.</summary>
internal static class TcpStatsEntries
{
    /// <summary>A count of the web → echo <paramref name="version"/> edge in <paramref name="direction"/> ("outbound" or "inbound"); 0 before the edge relayed anything.</summary>
    public static async Task<long> CountAsync(ProxyProcess proxy, string direction, string version, string count)
    {
        var stats = await proxy.StatsAsync();
        foreach (var edge in stats.GetProperty("tcp").EnumerateArray())
        {
            if (edge.GetProperty("direction").GetString() == direction && edge.GetProperty("source").GetString() == "web"
                && edge.GetProperty("destination").GetString() == "echo" && edge.GetProperty("version").GetString() == version)
                return edge.GetProperty(count).GetInt64();
        }
        return 0;
    }
}
