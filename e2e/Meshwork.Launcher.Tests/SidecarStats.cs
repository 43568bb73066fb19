using System.Net.Http.Json;
using System.Text.Json;

namespace Meshwork.Launcher.Tests;

/// <summary>The parts of a sidecar's admin /stats document (docs/proxy.md) the launcher test reads.</summary>
public sealed record SidecarStats(SidecarSnapshot Snapshot, IReadOnlyList<TrafficRow> Traffic)
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>GET http://127.0.0.1:ADMIN-PORT/stats; null while nothing answers.</summary>
    public static async Task<SidecarStats?> ReadAsync(int adminPort)
    {
        try
        {
            return await Http.GetFromJsonAsync<SidecarStats>($"http://127.0.0.1:{adminPort}/stats", Json);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    public long Requests(string direction, string destination, string version, string statusClass) =>
        Traffic.Where(t => t.Direction == direction && t.Destination == destination && t.Version == version && t.StatusClass == statusClass)
            .Sum(t => t.Requests);

    public override string ToString() =>
        $"snapshot v{Snapshot.Version}; traffic: " + string.Join("; ", Traffic.Select(t =>
            $"{t.Direction} {t.Source}->{t.Destination} {t.Version} {t.StatusClass} requests={t.Requests} failures={t.Failures} denied={t.Denied}"));
}

public sealed record SidecarSnapshot(long Version, string Hash);

public sealed record TrafficRow(string Direction, string Source, string Destination, string Version, string Route, string StatusClass, long Requests, long Failures, long Denied);
