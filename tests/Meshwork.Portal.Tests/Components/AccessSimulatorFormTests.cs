using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Components.Shared;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The "Can A call B?" form over the real store: the protocol choice, HTTP with method and path, TCP without them,
/// each answered by the proxies' evaluator with the policy that decided.
/// </summary>
public sealed class AccessSimulatorFormTests(PortalFactory portal) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private sealed class Context(PortalFactory portal) : PortalComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);

    public async Task InitializeAsync()
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        if (await store.GetAsync(new ResourceKey(ResourceKind.Service, "default", "form-ledger")) is not null)
            return;
        Resource[] resources =
        [
            Samples.Service("form-ledger"),
            Samples.Service("form-web"),
            Samples.Service("form-batch"),
            // HTTP: web may GET; a DENY names POST from batch. TCP: neither rule can look at a method.
            new AccessPolicy
            {
                Metadata = new ResourceMetadata { Name = "form-ledger-get-from-web" },
                Service = "form-ledger",
                Action = AccessAction.Allow,
                Rules = [new AccessRule { From = [new AccessSource { Services = ["form-web"] }], To = [new AccessOperation { Methods = ["GET"] }] }],
            },
            new AccessPolicy
            {
                Metadata = new ResourceMetadata { Name = "form-ledger-no-posts-from-batch" },
                Service = "form-ledger",
                Action = AccessAction.Deny,
                Rules = [new AccessRule { From = [new AccessSource { Services = ["form-batch"] }], To = [new AccessOperation { Methods = ["POST"], Paths = ["/entries*"] }] }],
            },
        ];
        Assert.IsType<ChangeResult.Applied>(await store.ApplyManyAsync(resources, new ChangeActor("seed@meshwork.test", ChangeSource.Api)));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> Render(BunitContext context) =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<AccessSimulator>(1);
            b.CloseComponent();
        });

    private static void Fill(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page, string field, string value) =>
        page.Find($"[data-testid={field}] input, input[data-testid={field}]").Change(value);

    private static void ChooseTcp(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page) =>
        page.Find("[data-testid=sim-protocol-tcp] input, input[data-testid=sim-protocol-tcp]").Click();

    /// <summary>Checks the question and waits for the answer: "Allowed: ..." or "Denied: ...", and the policy that decided.</summary>
    private static (string Text, string DecidedBy) Check(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page)
    {
        var before = page.FindAll("[data-testid=sim-result]").Select(r => r.TextContent).SingleOrDefault();
        page.Find("button[data-testid=sim-check]").Click();
        page.WaitForAssertion(() => Assert.NotEqual(before, page.Find("[data-testid=sim-result]").TextContent), TimeSpan.FromSeconds(10));
        var result = page.Find("[data-testid=sim-result]");
        return (System.Text.RegularExpressions.Regex.Replace(result.TextContent, @"\s+", " ").Trim(), result.GetAttribute("data-decided-by")!);
    }

    [Fact]
    public async Task Http_MethodTheAllowNames_Allowed_ThenTcp_SameCaller_DeniedBecauseTheAllowNamesMethods()
    {
        await using var context = new Context(portal);
        var page = Render(context);
        Fill(page, "sim-source", "form-web");
        Fill(page, "sim-destination", "form-ledger");
        Assert.NotEmpty(page.FindAll("[data-testid=sim-path]"));
        var http = Check(page);
        Assert.Equal(("Allowed: ALLOW policy 'form-ledger-get-from-web' matched", "form-ledger-get-from-web"), http);

        ChooseTcp(page);
        // A connection has no method or path: the form stops asking for them and says why.
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=sim-path]")), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid=sim-method]"));
        Assert.Contains("an ALLOW rule naming them admits none", page.Find("[data-testid=sim-tcp-note]").TextContent);
        var tcp = Check(page);
        Assert.Equal("no-allow-matched", tcp.DecidedBy);
        Assert.StartsWith("Denied: ALLOW policies select the service and none matched: 'form-ledger-get-from-web' admits this caller only for the methods", tcp.Text);
    }

    [Fact]
    public async Task Tcp_DenyRuleNamingMethodsAndPaths_RefusesTheConnection_WhereHttpGetWouldPassIt()
    {
        await using var context = new Context(portal);
        var page = Render(context);
        Fill(page, "sim-source", "form-batch");
        Fill(page, "sim-destination", "form-ledger");
        // On HTTP the DENY stops only POST /entries*; batch is in no ALLOW, so GET is refused by the ALLOW, not by the DENY.
        Assert.Equal("no-allow-matched", Check(page).DecidedBy);

        ChooseTcp(page);
        var tcp = Check(page);
        Assert.Equal("form-ledger-no-posts-from-batch", tcp.DecidedBy);
        Assert.Equal("Denied: DENY policy 'form-ledger-no-posts-from-batch' matched on its sources alone: a TCP connection has no method, path or header, " +
            "so a DENY rule naming them refuses every connection from its sources", tcp.Text);
    }

    [Fact]
    public async Task Tcp_CallerNoPolicyNames_FollowsTheMeshDefault()
    {
        await using var context = new Context(portal);
        var page = Render(context);
        ChooseTcp(page);
        Fill(page, "sim-source", "form-ledger");
        Fill(page, "sim-destination", "form-web");
        Assert.Equal(("Allowed: no ALLOW policy selects the service; the mesh is permissive", "mesh-default"), Check(page));
    }
}
