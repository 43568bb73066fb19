using System.Text.Json.Serialization;

namespace Meshwork.Model.Resources;

/// <summary>
/// Base of every stored resource: Kubernetes-style metadata plus the kind-specific spec held
/// in the derived record's own properties. Records are immutable; an edit is a <c>with</c> copy.
/// Record equality is shallow for collections: compare resources with <see cref="Serialization.MeshworkJson.Canonical"/>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(Service), nameof(ResourceKind.Service))]
[JsonDerivedType(typeof(HttpRoute), nameof(ResourceKind.HttpRoute))]
[JsonDerivedType(typeof(ResiliencePolicy), nameof(ResourceKind.ResiliencePolicy))]
[JsonDerivedType(typeof(AccessPolicy), nameof(ResourceKind.AccessPolicy))]
[JsonDerivedType(typeof(Rollout), nameof(ResourceKind.Rollout))]
[JsonDerivedType(typeof(MeshSettings), nameof(ResourceKind.MeshSettings))]
[JsonDerivedType(typeof(TcpRoute), nameof(ResourceKind.TcpRoute))]
public abstract record Resource
{
    public required ResourceMetadata Metadata { get; init; }

    [JsonIgnore]
    public abstract ResourceKind Kind { get; }

    /// <summary>"Kind/namespace/name": unique across the store.</summary>
    [JsonIgnore]
    public ResourceKey Key => new(Kind, Metadata.Namespace, Metadata.Name);
}

public enum ResourceKind
{
    Service,
    HttpRoute,
    ResiliencePolicy,
    AccessPolicy,
    Rollout,
    MeshSettings,
    TcpRoute,
}

public sealed record ResourceMetadata
{
    public const string DefaultNamespace = "default";

    public required string Name { get; init; }
    public string Namespace { get; init; } = DefaultNamespace;
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Optimistic-concurrency version assigned by the store: 0 for a resource not yet stored.
    /// An update must carry the version it was read at; a stale one is a conflict.
    /// </summary>
    public long Version { get; init; }
}

public readonly record struct ResourceKey(ResourceKind Kind, string Namespace, string Name)
{
    public override string ToString() => $"{Kind}/{Namespace}/{Name}";
}
