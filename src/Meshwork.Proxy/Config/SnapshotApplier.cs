using Meshwork.Protocol.Snapshots;
using Meshwork.Proxy.Runtime;
using Meshwork.Proxy.Security;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using M = Meshwork.Model.Snapshots;

namespace Meshwork.Proxy.Config;

/// <summary>
/// Applies snapshots atomically: map, build and validate everything (our rules and YARP's own
/// validator), and only then swap. YARP first gets the union of old and new clusters so requests
/// still holding the old snapshot find theirs; once the new clusters are live the runtime is
/// swapped and the old-only clusters dropped. A rejected snapshot changes nothing (NACK).
/// </summary>
public sealed class SnapshotApplier(
    MeshRuntime runtime, MeshProxyConfigProvider provider, IConfigValidator validator, IProxyStateLookup lookup,
    LastGoodSnapshotStore store, ProxyKey ownKey, TimeProvider clock, ILogger<SnapshotApplier> logger)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private IReadOnlyList<ClusterConfig> liveClusters = [];

    /// <summary>The outcome of the latest attempt, for /snapshot.</summary>
    public SnapshotApplyResult? LastResult { get; private set; }

    public async Task<SnapshotApplyResult> ApplyAsync(ProxySnapshot message, string source, bool persist, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var result = await ApplyLockedAsync(message, source, persist, cancellationToken);
            LastResult = result;
            return result;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<SnapshotApplyResult> ApplyLockedAsync(ProxySnapshot message, string source, bool persist, CancellationToken cancellationToken)
    {
        var previous = runtime.Current;
        M.ProxySnapshot model;
        try
        {
            model = SnapshotMapper.ToModel(message);
        }
        catch (SnapshotFormatException ex)
        {
            return Nack(message, previous, [ex.Message]);
        }

        var built = RuntimeBuilder.Build(model, source, previous, clock.GetUtcNow(), ownKey);
        var errors = built.Errors.ToList();
        var clusters = YarpConfigBuilder.Clusters(model);
        foreach (var cluster in clusters)
        {
            foreach (var error in await validator.ValidateClusterAsync(cluster))
                errors.Add($"clusters[{cluster.ClusterId}]: {error.Message}");
        }
        if (errors.Count > 0 || built.Snapshot is null)
            return Nack(message, previous, errors);

        var union = clusters.ToDictionary(c => c.ClusterId, StringComparer.Ordinal);
        foreach (var old in liveClusters)
            union.TryAdd(old.ClusterId, old);
        provider.Update(YarpConfigBuilder.Routes, union.Values.ToArray());
        await WaitUntilLiveAsync(clusters, cancellationToken);
        runtime.Publish(built.Snapshot);
        provider.Update(YarpConfigBuilder.Routes, clusters);
        liveClusters = clusters;

        if (persist)
        {
            try
            {
                store.Save(message);
            }
            catch (IOException ex)
            {
                logger.LogWarning(ex, "Could not persist the last good snapshot to {Path}", store.FilePath);
            }
        }
        return new SnapshotApplyResult
        {
            Version = message.Version,
            Hash = message.Hash,
            Accepted = true,
            ServingVersion = built.Snapshot.Version,
            ServingHash = built.Snapshot.Hash,
        };
    }

    /// <summary>YARP applies a config change on its own schedule; wait (briefly) until every new cluster is in its state.</summary>
    private async Task WaitUntilLiveAsync(IReadOnlyList<ClusterConfig> clusters, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(3);
        while (clock.GetUtcNow() < deadline)
        {
            if (clusters.All(c => lookup.TryGetCluster(c.ClusterId, out var state) && state.Model.Config.Equals(c)))
                return;
            await Task.Delay(2, cancellationToken);
        }
        logger.LogWarning("YARP did not report every cluster of the new snapshot within 3s; swapping anyway");
    }

    private SnapshotApplyResult Nack(ProxySnapshot message, RuntimeSnapshot? serving, IReadOnlyList<string> errors)
    {
        logger.LogError("Rejected snapshot v{Version}: {Errors}", message.Version, string.Join("; ", errors));
        return new SnapshotApplyResult
        {
            Version = message.Version,
            Hash = message.Hash,
            Accepted = false,
            Errors = errors,
            ServingVersion = serving?.Version ?? 0,
            ServingHash = serving?.Hash ?? "",
        };
    }
}
