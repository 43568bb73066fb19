using System.Net;
using System.Net.Sockets;

namespace Meshwork.Testing.Processes;

/// <summary>A loopback TCP port nobody listens on right now (bind to 0, read, release).</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
