using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Compilation;

/// <summary>One consistent read of every stored resource, plus the mesh settings picked out of it.</summary>
public sealed record DesiredState(IReadOnlyList<Resource> Resources)
{
    public static readonly DesiredState Empty = new([]);

    public MeshSettings Settings { get; } =
        Resources.OfType<MeshSettings>().FirstOrDefault(s => s.Metadata.Name == MeshSettings.SingletonName)
        ?? new MeshSettings { Metadata = new ResourceMetadata { Name = MeshSettings.SingletonName } };
}
