using System.Net;
using System.Net.Sockets;

namespace Meshwork.Portal.Deployments;

/// <summary>Loopback ports from the configured range: not held by another instance of the driver, and free right now (bound and released).</summary>
public static class PortAllocator
{
    public static IReadOnlyList<int> Allocate(int count, int start, int end, IReadOnlySet<int> taken)
    {
        var ports = new List<int>(count);
        for (var port = start; port <= end && ports.Count < count; port++)
        {
            if (!taken.Contains(port) && IsFree(port)) ports.Add(port);
        }
        if (ports.Count < count)
            throw new InvalidOperationException($"no {count} free loopback ports left in {FleetOptions.Section}:PortRangeStart..PortRangeEnd ({start}..{end})");
        return ports;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
