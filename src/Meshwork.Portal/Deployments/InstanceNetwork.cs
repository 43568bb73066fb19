using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// One instance's network: namespace "mw-{instance}", a veth pair (host end "mwh…", namespace end
/// "mwn…", named by a hash of the instance since links may have only 15 characters) and /30 number
/// <see cref="Block"/> of the pool: host end .1, namespace end .2 of the block.
/// </summary>
public sealed partial record InstanceNetwork(string InstanceId, int Block, string Namespace, string HostLink, string PeerLink, IPAddress HostAddress, IPAddress NamespaceAddress)
{
    public const string NamespacePrefix = "mw-";
    public const int BlocksPerPool = 65536 / 4;

    public static InstanceNetwork For(string instanceId, IPNetwork pool, int block)
    {
        if (!InstanceIdPattern().IsMatch(instanceId))
            throw new ArgumentException($"instance id '{instanceId}' cannot name a network namespace: use 1-48 of a-z, 0-9 and '-'", nameof(instanceId));
        if (block < 0 || block >= BlocksPerPool)
            throw new ArgumentOutOfRangeException(nameof(block), block, $"a /16 holds /30 blocks 0..{BlocksPerPool - 1}");
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(instanceId)))[..10].ToLowerInvariant();
        var baseBytes = pool.BaseAddress.GetAddressBytes();
        return new InstanceNetwork(instanceId, block, NamespacePrefix + instanceId, "mwh" + hash, "mwn" + hash,
            Address(baseBytes, block * 4 + 1), Address(baseBytes, block * 4 + 2));
    }

    /// <summary>The /16 pool the block is in (Portal:Fleet:Local:NetworkNamespaces:Subnet of the portal that made it).</summary>
    public IPNetwork Pool => new(new IPAddress([.. HostAddress.GetAddressBytes()[..2], 0, 0]), 16);

    /// <summary>The lowest /30 of the pool no running instance holds.</summary>
    public static int FreeBlock(IReadOnlySet<int> taken)
    {
        for (var block = 0; block < BlocksPerPool; block++)
            if (!taken.Contains(block)) return block;
        throw new InvalidOperationException($"all {BlocksPerPool} /30 blocks of {NetworkNamespaceOptions.Section}:Subnet are held by instances");
    }

    /// <summary>The instance a namespace of ours belongs to, or null for a namespace not made by the driver.</summary>
    public static string? InstanceOf(string namespaceName) =>
        namespaceName.StartsWith(NamespacePrefix, StringComparison.Ordinal) && InstanceIdPattern().IsMatch(namespaceName[NamespacePrefix.Length..])
            ? namespaceName[NamespacePrefix.Length..] : null;

    private static IPAddress Address(byte[] pool, int offset) => new([pool[0], pool[1], (byte)(offset >> 8), (byte)(offset & 0xff)]);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,47}$")]
    private static partial Regex InstanceIdPattern();
}
