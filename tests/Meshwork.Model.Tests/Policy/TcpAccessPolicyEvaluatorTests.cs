using Meshwork.Model.Policy;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Policy;

/// <summary>Policies on TCP connections (TcpRoute relays): only sources can be checked, as Istio applies AuthorizationPolicy on a TCP port.</summary>
public sealed class TcpAccessPolicyEvaluatorTests
{
    private static readonly AccessRequest WebConnection = new()
    {
        DestinationService = "reviews",
        SourcePrincipal = "spiffe://cluster.local/ns/default/sa/web",
        SourceService = "web",
        SourceNamespace = "default",
        Tcp = true,
    };

    private static readonly AccessOperation GetOnly = new() { Methods = ["GET"] };

    private static AccessPolicy Policy(AccessAction action, AccessRule rule) => new()
    {
        Metadata = new ResourceMetadata { Name = "p" },
        Service = "reviews",
        Action = action,
        Rules = [rule],
    };

    private static AccessRule FromWeb(params AccessOperation[] to) => new() { From = [new AccessSource { Services = ["web"] }], To = to };

    [Fact]
    public void Evaluate_AllowNamingOnlySources_AdmitsTheConnection() =>
        Assert.True(AccessPolicyEvaluator.Evaluate([Policy(AccessAction.Allow, FromWeb())], AccessMode.DefaultDeny, WebConnection).Allowed);

    [Fact]
    public void Evaluate_AllowWithHttpFields_DoesNotMatchAConnection()
    {
        var decision = AccessPolicyEvaluator.Evaluate([Policy(AccessAction.Allow, FromWeb(GetOnly))], AccessMode.Permissive, WebConnection);
        Assert.False(decision.Allowed);
        Assert.Equal(AccessDecision.NoAllowMatched, decision.DecidedBy);
    }

    [Fact]
    public void Evaluate_DenyWithHttpFields_DeniesOnItsSourcesAlone() =>
        Assert.False(AccessPolicyEvaluator.Evaluate([Policy(AccessAction.Deny, FromWeb(GetOnly))], AccessMode.Permissive, WebConnection).Allowed);

    [Fact]
    public void Evaluate_DenyForAnotherSource_LeavesTheConnectionToTheDefault() =>
        Assert.True(AccessPolicyEvaluator.Evaluate(
            [Policy(AccessAction.Deny, new AccessRule { From = [new AccessSource { Services = ["admin"] }], To = [GetOnly] })],
            AccessMode.Permissive, WebConnection).Allowed);

    [Fact]
    public void Evaluate_SameAllowOnAnHttpRequest_StillChecksTheMethod() =>
        Assert.True(AccessPolicyEvaluator.Evaluate([Policy(AccessAction.Allow, FromWeb(GetOnly))], AccessMode.DefaultDeny, WebConnection with { Tcp = false }).Allowed);
}
