using Meshwork.ControlPlane.Compilation;
using Meshwork.Model.Resources;
using Meshwork.Model.Snapshots;

namespace Meshwork.ControlPlane.Tests.Compilation;

public sealed class DesiredStateDiffTests
{
    private static readonly Service Orders = new() { Metadata = new ResourceMetadata { Name = "orders", Version = 1 } };

    private static AccessPolicy Policy(long version, string? service) => new()
    {
        Metadata = new ResourceMetadata { Name = "deny-admin", Namespace = "shop", Version = version },
        Service = service,
        Action = AccessAction.Deny,
    };

    [Fact]
    public void ChangedAccessPoliciesOnly_PolicyMovedBetweenServices_ReturnsBothVersions()
    {
        var before = new DesiredState([Orders, Policy(1, "orders")]);
        var after = new DesiredState([Orders, Policy(2, "payments")]);

        var changed = DesiredStateDiff.ChangedAccessPoliciesOnly(before, after);

        Assert.NotNull(changed);
        Assert.Equal(["orders", "payments"], changed.Select(p => p.Service!).Order());
        Assert.True(DesiredStateDiff.Selects(changed[0], new ProxyIdentity { ProxyId = "o", Service = "orders", Namespace = "shop" }));
        Assert.False(DesiredStateDiff.Selects(changed[0], new ProxyIdentity { ProxyId = "o", Service = "orders", Namespace = "default" }));
    }

    [Fact]
    public void ChangedAccessPoliciesOnly_AnythingElseChanged_ReturnsNull()
    {
        var before = new DesiredState([Orders, Policy(1, null)]);
        var after = new DesiredState([Orders with { Metadata = Orders.Metadata with { Version = 2 } }, Policy(2, null)]);

        Assert.Null(DesiredStateDiff.ChangedAccessPoliciesOnly(before, after));
        Assert.Empty(DesiredStateDiff.ChangedAccessPoliciesOnly(after, after)!);
    }
}
