using System.Net;
using System.Net.Sockets;

namespace Meshwork.Testing.Processes;

/// <summary>
/// Ports for the servers a test starts (processes, PostgreSQL). Asking the OS for an ephemeral port
/// and releasing it races with every other process taking ephemeral ports (outgoing connections
/// included), so ports come from below the Linux ephemeral range (32768+), starting at a random
/// offset per test process and never handed out twice; each is checked free before use.
/// </summary>
public static class FreePort
{
    private static int next = 20_000 + Random.Shared.Next(0, 10_000);

    public static int Next()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref next);
            if (port >= 32_000) Interlocked.CompareExchange(ref next, 20_000, port);
            if (IsFree(port)) return port;
        }
    }

    /// <summary>True when <paramref name="port"/> can be bound on loopback right now (bound and released).</summary>
    public static bool IsFree(int port)
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
