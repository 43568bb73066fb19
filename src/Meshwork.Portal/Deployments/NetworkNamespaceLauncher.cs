using System.Diagnostics;
using System.Net;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// Creates and removes an instance's network namespace with `ip` (iproute2): the veth pair, its
/// addresses, the namespace's loopback and default route via the host end, and host IPv4 forwarding
/// so namespaces reach each other through the host; and the namespace's own hosts file. Removal and the
/// start-up sweep of namespaces a crashed portal left behind delete the namespace, the host end and that
/// file, so nothing leaks.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NetworkNamespaceLauncher(string ipForwardFile = "/proc/sys/net/ipv4/ip_forward", string namespaceEtcDirectory = "/etc/netns")
{
    /// <summary>`ip netns exec {namespace}`: put before a command to run it inside the instance's namespace.</summary>
    public static IReadOnlyList<string> Exec(InstanceNetwork network) => ["ip", "netns", "exec", network.Namespace];

    public async Task CreateAsync(InstanceNetwork network, CancellationToken cancellationToken = default)
    {
        // A namespace of the same name whose host end is in another pool is another portal's instance of the same
        // id: refused, not taken over. One in this pool is a leftover of this instance (a crash between create and record): start clean.
        if ((await HostEndAddressesAsync(network, cancellationToken)).FirstOrDefault(address => !network.Pool.Contains(address)) is { } other)
            throw new InvalidOperationException($"network namespace {network.Namespace} exists with its host end at {other}, outside this portal's "
                + $"{NetworkNamespaceOptions.Section}:Subnet {network.Pool}: another portal on this host runs an instance of that id; give this portal's "
                + "instances other service versions, or run one portal with network namespaces per host");
        await RemoveAsync(network, cancellationToken);
        try
        {
            await RunAsync(cancellationToken, "ip", "netns", "add", network.Namespace);
            await RunAsync(cancellationToken, "ip", "link", "add", network.HostLink, "type", "veth", "peer", "name", network.PeerLink, "netns", network.Namespace);
            await RunAsync(cancellationToken, "ip", "addr", "add", $"{network.HostAddress}/30", "dev", network.HostLink);
            await RunAsync(cancellationToken, "ip", "link", "set", network.HostLink, "up");
            await RunAsync(cancellationToken, "ip", "-n", network.Namespace, "addr", "add", $"{network.NamespaceAddress}/30", "dev", network.PeerLink);
            await RunAsync(cancellationToken, "ip", "-n", network.Namespace, "link", "set", network.PeerLink, "up");
            await RunAsync(cancellationToken, "ip", "-n", network.Namespace, "link", "set", "lo", "up");
            await RunAsync(cancellationToken, "ip", "-n", network.Namespace, "route", "add", "default", "via", network.HostAddress.ToString());
            await EnableForwardingAsync(cancellationToken);
        }
        catch
        {
            await RemoveAsync(network, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Installs the nat rules in the namespace with the proxy's own `init-iptables` (<paramref name="proxy"/>
    /// is its command): every TCP connection but the sidecar's (gid <paramref name="proxyGid"/>) and loopback's
    /// goes to <paramref name="outboundPort"/>, and every one arriving from outside for <paramref name="appPort"/>
    /// to <paramref name="inboundPort"/>. Idempotent: the namespace's whole nat table is replaced.
    /// </summary>
    public static async Task InstallInterceptionAsync(InstanceNetwork network, IReadOnlyList<string> proxy, int outboundPort, int inboundPort, int appPort,
        int proxyGid, CancellationToken cancellationToken = default) =>
        await RunAsync(cancellationToken, [.. Exec(network), .. proxy, "init-iptables",
            "--outbound-port", Text(outboundPort), "--inbound-port", Text(inboundPort), "--inbound-ports", Text(appPort), "--proxy-gid", Text(proxyGid)]);

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Deletes the namespace (which destroys its veth end, and with it the host's) and the host end should it survive; absent ones are fine.</summary>
    public async Task RemoveAsync(InstanceNetwork network, CancellationToken cancellationToken = default)
    {
        await TryRunAsync(cancellationToken, "ip", "netns", "del", network.Namespace);
        await TryRunAsync(cancellationToken, "ip", "link", "del", network.HostLink);
        var etc = EtcDirectory(network);
        if (Directory.Exists(etc)) Directory.Delete(etc, recursive: true);
    }

    /// <summary>
    /// The namespace's own hosts file (`ip netns exec` mounts /etc/netns/{namespace}/hosts over /etc/hosts):
    /// <paramref name="names"/> resolve to the host end of the veth. Any address but loopback would do, since
    /// the nat rules take every connection to the sidecar, which routes HTTP by its Host header.
    /// </summary>
    public async Task WriteHostsAsync(InstanceNetwork network, IReadOnlyList<string> names, CancellationToken cancellationToken = default)
    {
        var lines = names.Count == 0 ? "" : $"{network.HostAddress} {string.Join(' ', names)}\n";
        try
        {
            var etc = Directory.CreateDirectory(EtcDirectory(network)).FullName;
            await File.WriteAllTextAsync(Path.Combine(etc, "hosts"), $"127.0.0.1 localhost\n::1 localhost\n{lines}", cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"the hosts file of {network.Namespace} cannot be written under {namespaceEtcDirectory}: {ex.Message}", ex);
        }
    }

    private string EtcDirectory(InstanceNetwork network) => Path.Combine(namespaceEtcDirectory, network.Namespace);

    /// <summary>The driver's namespaces present now, by instance id.</summary>
    public async Task<IReadOnlyList<string>> ListInstancesAsync(CancellationToken cancellationToken = default)
    {
        var (_, output, _) = await RunAsync(cancellationToken, "ip", "netns", "list");
        // Each line: "name" or "name (id: N)".
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => InstanceNetwork.InstanceOf(line.Split(' ')[0]))
            .OfType<string>()
            .ToList();
    }

    /// <summary>
    /// Removes every namespace of ours whose instance is not in <paramref name="keep"/> (re-adopted instances keep
    /// theirs) and whose host end has an address in <paramref name="pool"/>, so a portal with another pool on the
    /// same host keeps its own; the ids removed.
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveStaleAsync(IReadOnlySet<string> keep, IPNetwork pool, CancellationToken cancellationToken = default)
    {
        var stale = new List<string>();
        foreach (var id in (await ListInstancesAsync(cancellationToken)).Where(id => !keep.Contains(id)))
        {
            // The names come from the instance id alone: any block will do.
            var network = InstanceNetwork.For(id, pool, block: 0);
            if (!await HostEndInAsync(network, pool, cancellationToken)) continue;
            await RemoveAsync(network, cancellationToken);
            stale.Add(id);
        }
        return stale;
    }

    private static async Task<bool> HostEndInAsync(InstanceNetwork network, IPNetwork pool, CancellationToken cancellationToken) =>
        (await HostEndAddressesAsync(network, cancellationToken)).Any(pool.Contains);

    /// <summary>The IPv4 addresses of the namespace's host end; none when it does not exist.</summary>
    private static async Task<IReadOnlyList<IPAddress>> HostEndAddressesAsync(InstanceNetwork network, CancellationToken cancellationToken)
    {
        // One line per address: "7: mwh0123456789    inet 10.214.0.1/30 scope global mwh0123456789 ...".
        var (exitCode, output, _) = await TryRunAsync(cancellationToken, "ip", "-o", "-4", "addr", "show", "dev", network.HostLink);
        if (exitCode != 0) return [];
        var words = output.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return [.. words.Zip(words.Skip(1)).Where(pair => pair.First == "inet")
            .Select(pair => IPAddress.TryParse(pair.Second.Split('/')[0], out var address) ? address : null).OfType<IPAddress>()];
    }

    private async Task EnableForwardingAsync(CancellationToken cancellationToken)
    {
        if ((await File.ReadAllTextAsync(ipForwardFile, cancellationToken)).Trim() != "1")
            await File.WriteAllTextAsync(ipForwardFile, "1", cancellationToken);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(CancellationToken cancellationToken, params string[] command)
    {
        var result = await TryRunAsync(cancellationToken, command);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"`{string.Join(' ', command)}` exited with {result.ExitCode}: {result.Error.Trim()}");
        return result;
    }

    private static async Task<(int ExitCode, string Output, string Error)> TryRunAsync(CancellationToken cancellationToken, params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.Skip(1))
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output, await error);
    }
}
