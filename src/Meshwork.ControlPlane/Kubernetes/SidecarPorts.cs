namespace Meshwork.ControlPlane.Kubernetes;

/// <summary>The injected proxy's ports (the values docker/k8s/orders-example.yaml sets by hand).</summary>
public static class SidecarPorts
{
    /// <summary>mTLS from other sidecars: the one port facing the pod network, registered as the instance address.</summary>
    public const int Inbound = 15006;

    /// <summary>The app's outbound calls (HTTP_PROXY), loopback only.</summary>
    public const int Outbound = 15001;

    /// <summary>/ready, /alive, /stats, loopback only.</summary>
    public const int Admin = 15000;

    public static readonly int[] All = [Inbound, Outbound, Admin];
}
