using System.Globalization;
using Meshwork.Protocol.Status;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// The topology graph's TCP route edges: one per source and destination version that relayed TCP connections, beside any
/// HTTP edge between the same versions (its own id), classed "tcp" (drawn dotted) and "open" while connections are
/// open or came and went over the window, "idle" otherwise, and "refused" when connections failed to connect or were
/// denied; the label says the connections open, the connection rate and the bytes per second both ways.
/// </summary>
public static class TopologyTcpEdges
{
    public static string Id(TcpEdgeSignals e) =>
        $"tcp:{e.SourceNamespace}/{e.SourceService}/{e.SourceVersion}->{e.DestinationNamespace}/{e.DestinationService}/{e.DestinationVersion}";

    public static bool IsIdle(TcpEdgeSignals e) => e.Active == 0 && e.Opened == 0 && e.Closed == 0 && e.ReceivedBytesPerSecond + e.SentBytesPerSecond == 0 && e.ConnectFailures == 0 && e.Denied == 0;

    /// <summary>For example "TCP · 3 open · 0.5 conn/s · 12.4 kB/s", with "· 2 refused" when connections failed or were denied.</summary>
    public static string Label(TcpEdgeSignals e)
    {
        if (IsIdle(e)) return "TCP · idle";
        var inv = CultureInfo.InvariantCulture;
        var label = string.Create(inv, $"TCP · {e.Active} open · {e.ConnectionsPerSecond:0.#} conn/s · {Rate(e.ReceivedBytesPerSecond + e.SentBytesPerSecond)}");
        var refused = e.ConnectFailures + e.Denied;
        return refused > 0 ? label + string.Create(inv, $" · {refused} refused") : label;
    }

    public static string Classes(TcpEdgeSignals e) => "tcp " + (IsIdle(e) ? "idle" : "open") + (e.ConnectFailures + e.Denied > 0 ? " refused" : "");

    /// <summary>Bytes per second in B/s, kB/s, MB/s or GB/s (powers of 1000, as network rates go).</summary>
    public static string Rate(double bytesPerSecond) => Bytes(bytesPerSecond) + "/s";

    /// <summary>Bytes in B, kB, MB or GB (powers of 1000, as network rates go).</summary>
    public static string Bytes(double bytes)
    {
        var inv = CultureInfo.InvariantCulture;
        return bytes switch
        {
            >= 1e9 => string.Create(inv, $"{bytes / 1e9:0.#} GB"),
            >= 1e6 => string.Create(inv, $"{bytes / 1e6:0.#} MB"),
            >= 1e3 => string.Create(inv, $"{bytes / 1e3:0.#} kB"),
            _ => string.Create(inv, $"{bytes:0} B"),
        };
    }
}
