using System.Globalization;
using System.Text;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// The nat rules that send an app's TCP through its sidecar without HTTP_PROXY, as Istio's
/// istio-iptables and Linkerd's proxy-init install them in the pod's network namespace: the app's
/// outbound TCP is redirected to the outbound intercept port, TCP arriving for the app's ports to
/// the inbound intercept port. The sidecar's own connections are exempt by its uid or gid, or they
/// would be redirected back to it. One iptables-restore input for the whole nat table: applied
/// atomically, and applying it again gives the same table.
/// </summary>
public sealed record InterceptionRules
{
    public const string OutboundChain = "MESHWORK_OUTPUT";
    public const string InboundChain = "MESHWORK_INBOUND";

    /// <summary>Where the app's outbound TCP is redirected (the proxy's Proxy:OutboundInterceptPort).</summary>
    public required int OutboundPort { get; init; }

    /// <summary>Where TCP to <see cref="InboundPorts"/> is redirected; 0: inbound traffic is left alone.</summary>
    public int InboundPort { get; init; }

    /// <summary>The app's own listening ports whose incoming TCP goes through the sidecar.</summary>
    public IReadOnlyList<int> InboundPorts { get; init; } = [];

    /// <summary>The uid the sidecar runs as: its connections are not redirected.</summary>
    public int? ProxyUid { get; init; }

    /// <summary>The gid the sidecar runs as: its connections are not redirected.</summary>
    public int? ProxyGid { get; init; }

    /// <summary>Destination ports the app reaches directly (e.g. the control plane's, a database's).</summary>
    public IReadOnlyList<int> ExcludeOutboundPorts { get; init; } = [];

    /// <summary>Refuses settings that would redirect the sidecar's traffic to itself or name no port.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (OutboundPort is < 1 or > 65535)
            errors.Add($"--outbound-port {OutboundPort}: a port 1-65535 is required (the proxy's Proxy:OutboundInterceptPort)");
        if (InboundPort is < 0 or > 65535)
            errors.Add($"--inbound-port {InboundPort}: not a port");
        if (InboundPort > 0 && InboundPorts.Count == 0)
            errors.Add("--inbound-port is set but --inbound-ports names no app port to redirect");
        if (InboundPort == 0 && InboundPorts.Count > 0)
            errors.Add("--inbound-ports is set but --inbound-port (where to redirect them) is not");
        errors.AddRange(InboundPorts.Concat(ExcludeOutboundPorts).Where(p => p is < 1 or > 65535).Select(p => $"port {p}: not a port"));
        if (ProxyUid is null && ProxyGid is null)
            errors.Add("neither --proxy-uid nor --proxy-gid is set: the sidecar's own connections would be redirected back to it");
        if (ProxyUid is < 0 || ProxyGid is < 0)
            errors.Add("--proxy-uid and --proxy-gid must not be negative");
        return errors;
    }

    /// <summary>The iptables-restore input (the nat table only; filter and the others are untouched).</summary>
    public string ToIptablesRestore()
    {
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        Line("*nat");
        foreach (var chain in new[] { "PREROUTING", "INPUT", "OUTPUT", "POSTROUTING" })
            Line($":{chain} ACCEPT [0:0]");
        Line($":{InboundChain} - [0:0]");
        Line($":{OutboundChain} - [0:0]");
        if (InboundPort > 0)
        {
            Line($"-A PREROUTING -p tcp -j {InboundChain}");
            foreach (var port in InboundPorts.Distinct())
                Line($"-A {InboundChain} -p tcp --dport {Text(port)} -j REDIRECT --to-ports {Text(InboundPort)}");
        }
        Line($"-A OUTPUT -p tcp -j {OutboundChain}");
        if (ProxyUid is { } uid)
            Line($"-A {OutboundChain} -m owner --uid-owner {Text(uid)} -j RETURN");
        if (ProxyGid is { } gid)
            Line($"-A {OutboundChain} -m owner --gid-owner {Text(gid)} -j RETURN");
        // The app's calls to its own host (and to the sidecar's listeners) stay local.
        Line($"-A {OutboundChain} -d 127.0.0.0/8 -j RETURN");
        foreach (var port in ExcludeOutboundPorts.Distinct())
            Line($"-A {OutboundChain} -p tcp --dport {Text(port)} -j RETURN");
        Line($"-A {OutboundChain} -p tcp -j REDIRECT --to-ports {Text(OutboundPort)}");
        Line("COMMIT");
        return text.ToString();
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
