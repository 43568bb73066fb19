namespace Meshwork.ControlPlane.Certificates;

/// <summary>The workload identity form Istio uses: spiffe://TRUST-DOMAIN/ns/NAMESPACE/sa/SERVICE.</summary>
public static class SpiffeId
{
    public static string For(string trustDomain, string ns, string service) => $"spiffe://{trustDomain}/ns/{ns}/sa/{service}";
}
