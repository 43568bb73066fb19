using System.Net;
using System.Net.Sockets;

namespace Meshwork.Testing.Processes;

/// <summary>
/// Ports for the servers a test starts (processes, PostgreSQL). Asking the OS for an ephemeral port
/// and releasing it races with every other process taking ephemeral ports (outgoing connections
/// included), so ports come from below the Linux ephemeral range (32768+), starting at a random
/// offset per test process and never handed out twice; each is checked free before use.
/// Test processes running side by side (two suites, or a suite beside the launcher test) share that
/// range, and a port is only bound a while after it was found free, by a child process, or again
/// after a restart: so each handed-out port is also reserved machine-wide, by a lock on a file named
/// after it that this process holds until it exits. No other test process hands it out meanwhile.
/// </summary>
public static class FreePort
{
    private const string ReservationFolder = "/tmp/meshwork-port-reservations";
    private static readonly List<FileStream> Reservations = [];
    private static int next = 20_000 + Random.Shared.Next(0, 10_000);

    public static int Next()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref next);
            if (port >= 32_000) Interlocked.CompareExchange(ref next, 20_000, port);
            if (TryReserveAll([port])) return port;
        }
    }

    /// <summary>
    /// Reserves every one of <paramref name="ports"/> for this process when each is free on loopback and
    /// not reserved by another test process; otherwise reserves none of them.
    /// </summary>
    public static bool TryReserveAll(IReadOnlyCollection<int> ports)
    {
        var taken = new List<FileStream>();
        foreach (var port in ports)
        {
            if (!IsFree(port) || TryLock(port) is not { } reservation)
            {
                taken.ForEach(r => r.Dispose());
                return false;
            }
            taken.Add(reservation);
        }
        lock (Reservations) Reservations.AddRange(taken);
        return true;
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

    /// <summary>
    /// An exclusive lock on the port's file (.NET takes flock(LOCK_EX | LOCK_NB) for FileShare.None), released
    /// by the kernel when this process ends however it ends; null when another process holds it.
    /// </summary>
    private static FileStream? TryLock(int port)
    {
        Directory.CreateDirectory(ReservationFolder);
        try
        {
            return new FileStream(Path.Combine(ReservationFolder, port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
