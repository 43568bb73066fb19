using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Compilation;

/// <summary>
/// One consistent read of every stored resource, plus the mesh settings picked out of it.
/// <paramref name="Revision"/> is the store's audit sequence at that read: every change up to it is included.
/// </summary>
public sealed record DesiredState(IReadOnlyList<Resource> Resources, long Revision = 0)
{
    public static readonly DesiredState Empty = new([]);

    public MeshSettings Settings { get; } =
        Resources.OfType<MeshSettings>().FirstOrDefault(s => s.Metadata.Name == MeshSettings.SingletonName)
        ?? new MeshSettings { Metadata = new ResourceMetadata { Name = MeshSettings.SingletonName } };
}
