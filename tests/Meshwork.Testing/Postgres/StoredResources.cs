using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.Testing.Postgres;

/// <summary>Writes for benchmarks that drive desired state the way the portal does.</summary>
public static class StoredResources
{
    /// <summary>
    /// Creates <paramref name="resource"/> or replaces whatever version is stored, through
    /// <see cref="ResourceService"/>: validated, versioned, audited and notified like a portal edit.
    /// </summary>
    public static async Task ReplaceAsync(string connectionString, Resource resource, ChangeActor actor, CancellationToken ct = default)
    {
        await using var db = MigratedDatabase.OpenSession(connectionString);
        var store = new ResourceService(db, TimeProvider.System);
        var current = await store.GetAsync(resource.Key, ct);
        var result = await store.ApplyAsync(resource with { Metadata = resource.Metadata with { Version = current?.Resource.Metadata.Version ?? 0 } }, actor, ct);
        if (result is not ChangeResult.Applied)
            throw new InvalidOperationException($"apply of {resource.Key} failed: {result}");
    }
}
