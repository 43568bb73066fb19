using System.Net;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// Where an instance's two processes run and how they are reached: on the host's loopback (the app uses
/// HTTP_PROXY), or inside the instance's own network namespace (<see cref="Network"/>), where nat rules
/// redirect the app's connections to its sidecar, so the app needs no proxy setting.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed record InstancePlacement(InstanceNetwork? Network, int ProxyGid)
{
    public static readonly InstancePlacement Loopback = new(null, 0);

    /// <summary>
    /// Where the processes listen. Inside a namespace every address of the namespace: the nat rules redirect
    /// the app's connections to the sidecar's 127.0.0.1, connections from outside to the app's port to the
    /// sidecar's inbound listener, and the portal reads the sidecar's admin port from the host at the
    /// namespace end of the veth, which only this host routes.
    /// </summary>
    public string ListenHost => Network is null ? "127.0.0.1" : "0.0.0.0";

    /// <summary>Where the portal reaches the sidecar (its admin port) and other sidecars its inbound port.</summary>
    public string ReachableHost => Network?.NamespaceAddress.ToString() ?? "127.0.0.1";

    /// <summary>
    /// The namespace the app's health probe is sent from (null: the portal's own). The app is always probed on its
    /// loopback, 127.0.0.1 of where it runs: from outside its namespace its port leads to the sidecar's mTLS listener.
    /// </summary>
    public string? ProbeNamespace => Network?.Namespace;

    /// <summary>Put before the app's command: `ip netns exec` into its namespace.</summary>
    public IReadOnlyList<string> AppWrapper => Network is null ? [] : NetworkNamespaceLauncher.Exec(Network);

    /// <summary>Put before the sidecar's command: into the namespace, under the gid the nat rules exempt (no supplementary groups).</summary>
    public IReadOnlyList<string> SidecarWrapper => Network is null ? [] : [.. NetworkNamespaceLauncher.Exec(Network), "setpriv", $"--regid={ProxyGid}", "--clear-groups"];

    /// <summary>
    /// The control plane address(es) for the sidecar. In a namespace, 127.0.0.1 is the namespace's own
    /// loopback, so a loopback host becomes the host end of the veth (same port): the control plane must
    /// listen there too (ControlPlane:ListenAddress 0.0.0.0). Other hosts are kept as configured.
    /// </summary>
    public string ControlPlaneAddress(string configured) => Network is null ? configured : string.Join(',',
        configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(address =>
            Uri.TryCreate(address, UriKind.Absolute, out var uri) && IsLoopback(uri.Host)
                ? new UriBuilder(uri) { Host = Network.HostAddress.ToString() }.Uri.GetLeftPart(UriPartial.Authority)
                : address));

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
