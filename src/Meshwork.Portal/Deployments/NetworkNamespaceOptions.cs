using System.Net;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// "Portal:Fleet:Local:NetworkNamespaces": run each local instance (app and sidecar) in its own network
/// namespace, joined to the host by a veth pair with a /30 from <see cref="Subnet"/>. Off by default:
/// it needs root (CAP_NET_ADMIN), and without it the portal refuses to start rather than fall back.
/// </summary>
public sealed class NetworkNamespaceOptions
{
    public const string Section = FleetOptions.Section + ":Local:NetworkNamespaces";

    public bool Enabled { get; set; }

    /// <summary>The private /16 the per-instance /30s come from; it must not overlap a network the host already routes.</summary>
    public string Subnet { get; set; } = "10.214.0.0/16";

    /// <summary>
    /// The gid each sidecar runs under (Istio's 1337): the nat rules exempt its connections, or its own
    /// upstream calls would be redirected back to it. No app may run with it.
    /// </summary>
    public int ProxyGid { get; set; } = 1337;

    /// <summary>The pool, parsed; null when <see cref="Subnet"/> is not a /16 IPv4 network.</summary>
    public IPNetwork? Pool => IPNetwork.TryParse(Subnet, out var network) && network.PrefixLength == 16
        && network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? network : null;

    /// <summary>Every problem with the settings, each naming its setting; empty when usable (or off).</summary>
    public IReadOnlyList<string> Problems(bool privileged)
    {
        if (!Enabled) return [];
        var problems = new List<string>();
        if (Pool is null) problems.Add($"{Section}:Subnet '{Subnet}' must be an IPv4 /16 network such as 10.214.0.0/16");
        if (ProxyGid is < 1 or > 65534) problems.Add($"{Section}:ProxyGid {ProxyGid} must be a gid from 1 to 65534 (not root's 0)");
        if (!privileged)
            problems.Add($"{Section}:Enabled needs root/CAP_NET_ADMIN (it creates network namespaces, veth pairs and nat rules); the portal runs as '{Environment.UserName}'");
        return problems;
    }
}
