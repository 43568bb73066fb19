using System.Net;
using Meshwork.Model.Validation;
using Meshwork.Protocol.Mesh;

namespace Meshwork.ControlPlane.Streams;

/// <summary>
/// Checks every field of a Hello with the model's name rules before any of it is used: these
/// values become registry keys, SPIFFE ids, snapshot endpoints of every caller and fleet events,
/// so a malformed one is refused here, at the one proxy that sent it. Returns the first problem,
/// naming the field.
/// </summary>
public static class HelloValidator
{
    private const int MaxLabels = 64;
    private const int MaxPorts = 16;

    public static string? Problem(Hello hello)
    {
        if (!IdentityNames.IsProxyId(hello.ProxyId)) return $"proxy_id '{hello.ProxyId}' is not valid: {IdentityNames.ProxyIdRule}";
        if (!IdentityNames.IsDnsLabel(hello.Service)) return $"service '{hello.Service}' is not a valid name: {IdentityNames.DnsLabelRule}";
        if (!IdentityNames.IsDnsLabel(hello.Namespace)) return $"namespace '{hello.Namespace}' is not a valid name: {IdentityNames.DnsLabelRule}";
        if (!IdentityNames.IsDnsLabel(hello.Version)) return $"version '{hello.Version}' is not a valid name: {IdentityNames.DnsLabelRule}";
        // The instance address goes into every caller's snapshot: a malformed one would make the
        // whole fleet NACK.
        if (!IsHostPort(hello.InstanceAddress)) return $"instance_address '{hello.InstanceAddress}' is not host:port (an IP address or DNS name and a port 1-65535)";
        if (hello.AppAddress.Length > 0 && !IsHostPort(hello.AppAddress)) return $"app_address '{hello.AppAddress}' is not host:port";
        if (hello.Ports.Count > MaxPorts) return $"ports has {hello.Ports.Count} entries (at most {MaxPorts})";
        foreach (var port in hello.Ports)
        {
            if (!IdentityNames.IsDnsLabel(port.Name)) return $"ports: name '{port.Name}' is not a valid name: {IdentityNames.DnsLabelRule}";
            if (port.Port is < 1 or > 65535) return $"ports: '{port.Name}' has port {port.Port} (1-65535)";
        }
        if (hello.Labels.Count > MaxLabels) return $"labels has {hello.Labels.Count} entries (at most {MaxLabels})";
        foreach (var (key, value) in hello.Labels)
        {
            if (!IdentityNames.IsLabelKey(key)) return $"labels: key '{key}' is not a valid label key";
            if (!IdentityNames.IsLabelValue(value)) return $"labels: value '{value}' of '{key}' is not a valid label value";
        }
        if (hello.CurrentHash.Length > 128) return "current_hash is longer than 128 characters";
        if (hello.ProxyBuild.Length > 64) return "proxy_build is longer than 64 characters";
        return null;
    }

    /// <summary>
    /// True when every name in the edge follows the rules (stats from a proxy are keys of the golden
    /// signals). Empty is allowed: a caller without a mesh identity has no namespace, and "unknown"
    /// stands for a service the proxy could not name.
    /// </summary>
    public static bool IsValid(EdgeStats edge) =>
        OptionalLabel(edge.SourceService) && OptionalLabel(edge.SourceNamespace) && OptionalLabel(edge.SourceVersion) &&
        OptionalLabel(edge.DestinationService) && OptionalLabel(edge.DestinationNamespace) && OptionalLabel(edge.DestinationVersion);

    private static bool OptionalLabel(string value) => value.Length == 0 || IdentityNames.IsDnsLabel(value);

    private static bool IsHostPort(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, null, out var port) || port is < 1 or > 65535)
            return false;
        var host = address[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) return IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        return IPAddress.TryParse(host, out var ip) ? ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork : IdentityNames.IsHostname(host);
    }
}
