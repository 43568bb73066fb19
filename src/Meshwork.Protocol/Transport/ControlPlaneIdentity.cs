namespace Meshwork.Protocol.Transport;

/// <summary>
/// The control plane's own SPIFFE identity, in the form Istio gives istiod. Its clients (proxies,
/// the portal) pin it: the server must present exactly this id, so no other mesh workload, even
/// one holding a valid mesh certificate, can pose as the control plane.
/// </summary>
public static class ControlPlaneIdentity
{
    /// <summary>The mesh's trust domain unless MeshSettings says otherwise (MeshSettings.TrustDomain's default).</summary>
    public const string DefaultTrustDomain = "cluster.local";

    public const string Namespace = "meshwork-system";
    public const string ServiceAccount = "control-plane";

    public static string SpiffeIdFor(string trustDomain) => $"spiffe://{trustDomain}/ns/{Namespace}/sa/{ServiceAccount}";
}
