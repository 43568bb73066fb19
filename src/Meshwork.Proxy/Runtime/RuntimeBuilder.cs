using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using Meshwork.Model.Snapshots;

namespace Meshwork.Proxy.Runtime;

/// <summary>
/// Builds and validates a <see cref="RuntimeSnapshot"/>. Collects every problem (each naming the
/// element) instead of stopping at the first, so a NACK tells the operator everything at once.
/// </summary>
public static class RuntimeBuilder
{
    public sealed record Result(RuntimeSnapshot? Snapshot, IReadOnlyList<string> Errors);

    /// <param name="ownKey">The proxy's own key, paired with a certificate that comes without one (from the control plane).</param>
    public static Result Build(ProxySnapshot snapshot, string source, RuntimeSnapshot? previous, DateTimeOffset now, Security.ProxyKey ownKey)
    {
        var errors = new List<string>();
        if (snapshot.Hash.Length > 0 && !SnapshotHash.Verify(snapshot))
            errors.Add($"hash: '{snapshot.Hash}' does not match the content ({SnapshotHash.Compute(snapshot)})");

        var clusters = new Dictionary<string, SnapshotCluster>(StringComparer.Ordinal);
        var endpointVersions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var cluster in snapshot.Clusters)
        {
            if (!clusters.TryAdd(cluster.Name, cluster))
                errors.Add($"clusters[{cluster.Name}]: duplicate name");
            foreach (var endpoint in cluster.Endpoints)
            {
                if (!Uri.TryCreate("http://" + endpoint.Address, UriKind.Absolute, out var uri) || uri.Port <= 0 || uri.AbsolutePath != "/")
                    errors.Add($"clusters[{cluster.Name}].endpoints[{endpoint.InstanceId}].address: '{endpoint.Address}' is not host:port");
                endpointVersions[endpoint.Address] = endpoint.Version;
            }
            if (cluster.Settings.LoadBalancer.Policy == Model.Resources.LoadBalancingPolicy.ConsistentHash && string.IsNullOrEmpty(cluster.Settings.LoadBalancer.HashHeader))
                errors.Add($"clusters[{cluster.Name}].settings.loadBalancer.hashHeader: required for ConsistentHash");
        }

        var outbound = new HostTable();
        var gateway = new HostTable();
        foreach (var host in snapshot.VirtualHosts)
        {
            RuntimeVirtualHost runtimeHost;
            try
            {
                runtimeHost = new RuntimeVirtualHost(host);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                // NotSupportedException: a construct the non-backtracking engine cannot run (the validator refuses those).
                errors.Add($"virtualHosts[{host.Name}]: invalid regular expression: {ex.Message}");
                continue;
            }
            foreach (var rule in host.Rules)
            {
                foreach (var cluster in rule.Backends.Select(b => b.Cluster).Concat(rule.Mirrors.Select(m => m.Cluster)))
                {
                    if (!clusters.ContainsKey(cluster))
                        errors.Add($"virtualHosts[{host.Name}].rules[{rule.RouteName}]: cluster '{cluster}' is not in the snapshot");
                }
                if (rule.Backends.Any(b => b.Weight < 0))
                    errors.Add($"virtualHosts[{host.Name}].rules[{rule.RouteName}].backends: weights must be >= 0");
            }
            (host.Listener == ListenerKind.Gateway ? gateway : outbound).Add(runtimeHost, errors);
        }

        var tcpPorts = new HashSet<int>();
        foreach (var listener in snapshot.TcpListeners)
        {
            var path = $"tcpListeners[{listener.RouteName}]";
            if (listener.Port is < 1 or > 65535)
                errors.Add($"{path}.port: {listener.Port} is not a port between 1 and 65535");
            else if (!tcpPorts.Add(listener.Port))
                errors.Add($"{path}.port: {listener.Port} is taken by another TCP listener");
            foreach (var backend in listener.Backends.Where(b => !clusters.ContainsKey(b.Cluster)))
                errors.Add($"{path}: cluster '{backend.Cluster}' is not in the snapshot");
            if (listener.Backends.Any(b => b.Weight < 0))
                errors.Add($"{path}.backends: weights must be >= 0");
        }

        if (snapshot.Inbound.AppCluster.Length > 0 && !clusters.ContainsKey(snapshot.Inbound.AppCluster))
            errors.Add($"inbound.appCluster: cluster '{snapshot.Inbound.AppCluster}' is not in the snapshot");

        X509Certificate2? certificate = null;
        X509Certificate2Collection intermediates = [];
        X509Certificate2Collection bundle = [];
        if (snapshot.Certificates is { } certs)
        {
            try
            {
                var chain = new X509Certificate2Collection();
                chain.ImportFromPem(certs.CertificateChainPem);
                if (chain.Count == 0)
                    throw new CryptographicException("no certificate in certificateChainPem");
                certificate = WithPrivateKey(certs, ownKey, errors);
                for (var i = 1; i < chain.Count; i++)
                    intermediates.Add(chain[i]);
                bundle.ImportFromPem(certs.TrustBundlePem);
                if (bundle.Count == 0)
                    errors.Add("certificates.trustBundlePem: no certificate");
                if (chain[0].NotAfter < now.UtcDateTime)
                    errors.Add($"certificates.certificateChainPem: expired at {chain[0].NotAfter:O}");
                if (bundle.Count > 0 && !Security.SpiffeCertificates.ChainsToBundle(chain[0], bundle, intermediates))
                    errors.Add("certificates.certificateChainPem: does not chain to the trust bundle or has no SPIFFE id");
            }
            catch (CryptographicException ex)
            {
                errors.Add($"certificates: {ex.Message}");
            }
        }

        var rateLimit = snapshot.Inbound.RateLimit;
        TokenBucketRateLimiter? limiter = null;
        if (rateLimit is not null)
        {
            if (rateLimit.MaxTokens <= 0 || rateLimit.TokensPerFill <= 0 || rateLimit.FillInterval <= TimeSpan.Zero)
                errors.Add("inbound.rateLimit: maxTokens, tokensPerFill and fillInterval must be positive");
            else if (previous?.RateLimit == rateLimit && previous.RateLimiter is not null)
                limiter = previous.RateLimiter; // same bucket: a config push must not refill it
            else
                limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
                {
                    TokenLimit = rateLimit.MaxTokens,
                    TokensPerPeriod = rateLimit.TokensPerFill,
                    ReplenishmentPeriod = rateLimit.FillInterval,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
        }

        if (errors.Count > 0)
        {
            certificate?.Dispose();
            return new Result(null, errors);
        }
        return new Result(new RuntimeSnapshot
        {
            Model = snapshot,
            Source = source,
            AppliedAt = now,
            Outbound = outbound,
            Gateway = gateway,
            Clusters = clusters,
            EndpointVersions = endpointVersions,
            Certificate = certificate,
            Intermediates = intermediates,
            TrustBundle = bundle,
            RateLimiter = limiter,
        }, errors);
    }

    /// <summary>
    /// The leaf with its private key: the snapshot's own key when it carries one (a snapshot file the
    /// operator wrote), else the proxy's key, which the control plane issued the certificate for.
    /// A certificate for another key is an error (it could never complete a handshake).
    /// </summary>
    private static X509Certificate2? WithPrivateKey(SnapshotCertificates certs, Security.ProxyKey ownKey, List<string> errors)
    {
        if (certs.PrivateKeyPem.Length > 0)
            return X509Certificate2.CreateFromPem(certs.CertificateChainPem, certs.PrivateKeyPem);
        using var leaf = X509Certificate2.CreateFromPem(certs.CertificateChainPem);
        if (!ownKey.Matches(leaf))
        {
            errors.Add("certificates.certificateChainPem: the certificate is not for this proxy's key (issued for another CSR, "
                + "e.g. before the proxy's stored key was lost); keeping the current snapshot");
            return null;
        }
        return ownKey.Pair(leaf);
    }
}
