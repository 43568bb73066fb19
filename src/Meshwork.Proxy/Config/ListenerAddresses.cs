using System.Net;

namespace Meshwork.Proxy.Config;

/// <summary>Reads a listener bind address setting, refusing to start with a message naming the setting when it is not an IP address.</summary>
public static class ListenerAddresses
{
    public static IPAddress Parse(string? value, string setting) =>
        IPAddress.TryParse(value, out var address)
            ? address
            : throw new InvalidOperationException($"{setting} '{value}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::).");
}
