namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// The fleet mesh with its control plane listening beyond loopback (ControlPlane:ListenAddress 0.0.0.0):
/// sidecars in network namespaces reach it at the host end of their veth. Needs root (CAP_NET_ADMIN), as
/// CI has: without it every test fails saying so, before anything starts, rather than passing untested.
/// </summary>
public sealed class NamespacedFleetMesh : IAsyncLifetime
{
    public FleetMesh Mesh { get; } = new(controlPlaneListenAddress: "0.0.0.0");

    public Task InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
            throw new InvalidOperationException($"network namespace tests need root/CAP_NET_ADMIN; this runs as '{Environment.UserName}'. CI runs as root: run the tests as root.");
        return Mesh.InitializeAsync();
    }

    public Task DisposeAsync() => Mesh.DisposeAsync();
}
