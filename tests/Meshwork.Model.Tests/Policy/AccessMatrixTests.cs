using Meshwork.Model.Policy;
using Meshwork.Model.Resources;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Tests.Policy;

/// <summary>The access matrix judges every pair with the proxies' evaluator; drafted ALLOW policies admit exactly what was observed.</summary>
public sealed class AccessMatrixTests
{
    private static readonly ServiceName Web = new("default", "web");
    private static readonly ServiceName Shop = new("default", "shop");
    private static readonly ServiceName Batch = new("jobs", "batch");

    private static AccessPolicy Policy(string name, string service, AccessAction action, params AccessRule[] rules) => new()
    {
        Metadata = new ResourceMetadata { Name = name }, Service = service, Action = action, Rules = rules,
    };

    private static AccessCell Cell(IReadOnlyList<AccessCell> cells, ServiceName from, ServiceName to) => cells.Single(c => c.From == from && c.To == to);

    [Fact]
    public void Build_SaysAllowedDeniedPartialOrDefault_WithTheDecidingPolicy()
    {
        AccessPolicy[] policies =
        [
            Policy("shop-from-web", "shop", AccessAction.Allow, new AccessRule { From = [new AccessSource { Services = ["web"] }] }),
            Policy("shop-no-deletes", "shop", AccessAction.Deny, new AccessRule { To = [new AccessOperation { Methods = ["DELETE"] }] }),
        ];

        var cells = AccessMatrix.Build([Web, Batch, Shop], [Shop, Web], policies, AccessMode.Permissive, "cluster.local");

        var webToShop = Cell(cells, Web, Shop);
        Assert.Equal(AccessVerdict.Partial, webToShop.Verdict);
        Assert.Contains("GET / allowed by 'shop-from-web'", webToShop.Explain());
        Assert.Contains("DELETE / denied by 'shop-no-deletes'", webToShop.Explain());
        Assert.Equal(AccessVerdict.Denied, Cell(cells, Batch, Shop).Verdict);
        Assert.Contains("GET / denied by no ALLOW matching", Cell(cells, Batch, Shop).Explain());
        Assert.Equal(AccessVerdict.DefaultAllowed, Cell(cells, Shop, Web).Verdict);
        Assert.Equal(AccessVerdict.DefaultDenied,
            Cell(AccessMatrix.Build([Shop], [Web], policies, AccessMode.DefaultDeny, "cluster.local"), Shop, Web).Verdict);
    }

    [Fact]
    public void Build_ProbesThePathsAPolicyNames()
    {
        AccessPolicy[] policies =
        [
            Policy("shop-api-only", "shop", AccessAction.Allow,
                new AccessRule { From = [new AccessSource { Services = ["web"] }], To = [new AccessOperation { Paths = ["/api/*"] }] }),
        ];

        var cell = Cell(AccessMatrix.Build([Web], [Shop], policies, AccessMode.Permissive, "cluster.local"), Web, Shop);

        Assert.Equal(AccessVerdict.Partial, cell.Verdict);
        Assert.Contains(cell.Probes, p => p.Operation == "GET /api/x" && p.Decision.Allowed);
        Assert.Contains(cell.Probes, p => p.Operation == "GET /" && !p.Decision.Allowed);
    }

    [Fact]
    public void Draft_AdmitsExactlyTheObservedCalls_UnderDefaultDeny()
    {
        (ServiceName, ServiceName)[] observed = [(Web, Shop), (Batch, Shop), (Web, Shop), (Shop, Shop)];

        var drafted = AccessPolicyDraft.FromObservedCalls(observed);

        var policy = Assert.Single(drafted);
        Assert.Equal(("shop-allow-observed", "default", "shop"), (policy.Metadata.Name, policy.Metadata.Namespace, policy.Service));
        var validation = ResourceValidator.Validate(policy,
            ValidationContext.From([new Service { Metadata = new ResourceMetadata { Name = "shop" } }]));
        Assert.True(validation.IsValid, string.Join("; ", validation.Issues));
        var cells = AccessMatrix.Build([Web, Batch, Shop], [Shop], drafted, AccessMode.DefaultDeny, "cluster.local");
        Assert.Equal(AccessVerdict.Allowed, Cell(cells, Web, Shop).Verdict);
        Assert.Equal(AccessVerdict.Allowed, Cell(cells, Batch, Shop).Verdict);
        Assert.Equal(AccessVerdict.Denied, Cell(cells, Shop, Shop).Verdict); // not observed: refused once the draft applies
        // Source-only rules: they admit the callers' TCP connections (TcpRoutes) too, and nothing else.
        Assert.Equal((true, "shop-allow-observed"), (Cell(cells, Web, Shop).Connection.Allowed, Cell(cells, Web, Shop).Connection.DecidedBy));
        Assert.Equal(AccessVerdict.Denied, Cell(cells, Shop, Shop).ConnectionVerdict);
    }

    [Fact]
    public void Build_JudgesATcpConnectionOnItsSourceAlone_ApartFromTheHttpVerdict()
    {
        AccessPolicy[] policies =
        [
            // HTTP GET from web: a connection has no method, so this ALLOW admits none.
            Policy("shop-gets-from-web", "shop", AccessAction.Allow,
                new AccessRule { From = [new AccessSource { Services = ["web"] }], To = [new AccessOperation { Methods = ["GET"] }] }),
            // A DENY naming a path refuses every connection from its sources.
            Policy("shop-no-admin-for-batch", "shop", AccessAction.Deny,
                new AccessRule { From = [new AccessSource { Namespaces = ["jobs"] }], To = [new AccessOperation { Paths = ["/admin"] }] }),
            Policy("shop-from-batch", "shop", AccessAction.Allow, new AccessRule { From = [new AccessSource { Services = ["batch"] }] }),
        ];

        var cells = AccessMatrix.Build([Web, Batch, Shop], [Shop, Web], policies, AccessMode.Permissive, "cluster.local");

        var webToShop = Cell(cells, Web, Shop);
        Assert.Equal(AccessVerdict.Partial, webToShop.Verdict);
        Assert.Equal(AccessVerdict.Denied, webToShop.ConnectionVerdict);
        Assert.Equal("TCP connection denied by no ALLOW matching", webToShop.ExplainConnection());
        var batchToShop = Cell(cells, Batch, Shop);
        Assert.Equal(AccessVerdict.Partial, batchToShop.Verdict); // only /admin is denied over HTTP
        Assert.Equal("TCP connection denied by 'shop-no-admin-for-batch'", batchToShop.ExplainConnection());
        Assert.Equal(AccessVerdict.DefaultAllowed, Cell(cells, Shop, Web).ConnectionVerdict);
        Assert.Equal(AccessVerdict.DefaultDenied,
            Cell(AccessMatrix.Build([Shop], [Web], policies, AccessMode.DefaultDeny, "cluster.local"), Shop, Web).ConnectionVerdict);
    }
}
