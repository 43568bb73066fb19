using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace Meshwork.Proxy.Tests.Interception;

/// <summary>
/// A network namespace made by the test, as a pod's: its own loopback, and a veth pair to the host
/// (host side 10.213.x.(4n+1), namespace side 10.213.x.(4n+2), the host its default route). Unique
/// names, so runs in parallel do not meet; deleted on dispose, whatever the test did. Needs root
/// (CAP_NET_ADMIN), as CI has: without it the test fails saying so, rather than passing untested.
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private readonly string hostLink;

    private NetworkNamespace(string name, string hostLink, IPAddress hostAddress, IPAddress namespaceAddress)
    {
        Name = name;
        this.hostLink = hostLink;
        HostAddress = hostAddress;
        NamespaceAddress = namespaceAddress;
    }

    public string Name { get; }

    /// <summary>The host's end of the veth pair: what the namespace reaches the host's listeners at.</summary>
    public IPAddress HostAddress { get; }

    /// <summary>The namespace's end: what the host reaches listeners in the namespace at.</summary>
    public IPAddress NamespaceAddress { get; }

    /// <summary>`ip netns exec {Name}`: put before a command to run it inside the namespace.</summary>
    public IReadOnlyList<string> Exec => ["ip", "netns", "exec", Name];

    public static async Task<NetworkNamespace> CreateAsync()
    {
        if (Environment.UserName != "root")
            throw new InvalidOperationException(
                $"transparent interception tests create network namespaces and nat rules, which needs root (CAP_NET_ADMIN); this runs as '{Environment.UserName}'. CI runs as root: run the tests as root.");
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
        var subnet = RandomNumberGenerator.GetInt32(256);
        var low = RandomNumberGenerator.GetInt32(64) * 4;
        var space = new NetworkNamespace($"mwt-{id}", $"mwh{id}", IPAddress.Parse($"10.213.{subnet}.{low + 1}"), IPAddress.Parse($"10.213.{subnet}.{low + 2}"));
        var peer = $"mwn{id}";
        try
        {
            await RunAsync("ip", "netns", "add", space.Name);
            await RunAsync("ip", "link", "add", space.hostLink, "type", "veth", "peer", "name", peer, "netns", space.Name);
            await RunAsync("ip", "addr", "add", $"{space.HostAddress}/30", "dev", space.hostLink);
            await RunAsync("ip", "link", "set", space.hostLink, "up");
            await RunAsync("ip", "-n", space.Name, "addr", "add", $"{space.NamespaceAddress}/30", "dev", peer);
            await RunAsync("ip", "-n", space.Name, "link", "set", peer, "up");
            await RunAsync("ip", "-n", space.Name, "link", "set", "lo", "up");
            await RunAsync("ip", "-n", space.Name, "route", "add", "default", "via", space.HostAddress.ToString());
        }
        catch
        {
            await space.DisposeAsync();
            throw;
        }
        return space;
    }

    /// <summary>
    /// A second address on the host's end of the veth pair (10.214.x.y/32, x.y as the pair's own), reached from
    /// the namespace by its default route; removed with the pair.
    /// </summary>
    public async Task<IPAddress> AddHostAddressAsync()
    {
        var bytes = HostAddress.GetAddressBytes();
        var address = new IPAddress([bytes[0], (byte)(bytes[1] + 1), bytes[2], bytes[3]]);
        await RunAsync("ip", "addr", "add", $"{address}/32", "dev", hostLink);
        return address;
    }

    /// <summary>Runs a command inside the namespace; its exit code and output.</summary>
    public Task<CommandResult> RunInsideAsync(params string[] command) => TryRunAsync([.. Exec, .. command]);

    /// <summary>Runs a command; throws with its output when it fails.</summary>
    public static async Task<CommandResult> RunAsync(params string[] command)
    {
        var result = await TryRunAsync(command);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"`{string.Join(' ', command)}` exited with {result.ExitCode}: {result.Error}{result.Output}");
        return result;
    }

    public static async Task<CommandResult> TryRunAsync(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.Skip(1))
            info.ArgumentList.Add(arg);
        // A plain app: no proxy settings inherited from whoever runs the tests.
        foreach (var variable in new[] { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY" })
            info.Environment.Remove(variable);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return new CommandResult(process.ExitCode, await output, await error);
    }

    public async ValueTask DisposeAsync()
    {
        // Deleting the namespace destroys its veth end, and with it the host's.
        await TryRunAsync("ip", "netns", "del", Name);
        await TryRunAsync("ip", "link", "del", hostLink);
    }
}

public sealed record CommandResult(int ExitCode, string Output, string Error);
