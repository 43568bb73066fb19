using Meshwork.ControlPlane.Tests.Infrastructure;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>The real-process meshes run one at a time: each is a control plane, five processes and traffic on a 2-core machine.</summary>
[CollectionDefinition(Name)]
public sealed class MeshCollection
{
    public const string Name = "real mesh";
}
