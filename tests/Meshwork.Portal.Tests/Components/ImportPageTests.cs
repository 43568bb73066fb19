using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Components.Pages;
using Meshwork.Portal.Identity;
using Meshwork.Store;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>The Import page over the real store: paste or upload, preview with diff and messages, apply atomically and audited with the source.</summary>
public sealed class ImportPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private sealed class Context(PortalFactory portal, params string[] policies) : PortalComponentTest(portal, "ivy@meshwork.test", policies);

    private static readonly string[] OperatorPolicies = [PortalPolicies.Read, PortalPolicies.EditTraffic];

    private static string VirtualService(string name) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: {{name}}}
        spec:
          hosts: [{{name}}]
          http:
          - corsPolicy: {allowOrigins: [{exact: "https://example.com"}]}
            route:
            - destination: {host: {{name}}, subset: v1}
              weight: 90
            - destination: {host: {{name}}, subset: v2}
              weight: 10
        """;

    private const string CustomAuthorization = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ext-authz}
        spec: {action: CUSTOM}
        """;

    private async Task<ResourceService> StoreWithServiceAsync(AsyncServiceScope scope, string name)
    {
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(Samples.Service(name, versions: ["v1", "v2"]), new ChangeActor("setup", ChangeSource.System)));
        return store;
    }

    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> RenderPage(BunitContext context) =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<Import>(1);
            b.CloseComponent();
        });

    /// <summary>
    /// Types into the manifests box and waits until the page has re-rendered with the text: MudTextField hands
    /// the input to the page through awaited callbacks, so under load the render can come after Input() returns.
    /// </summary>
    private static void EnterManifests(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page, string yaml)
    {
        page.Find("textarea[data-testid=import-yaml]").Input(yaml);
        page.WaitForAssertion(() => Assert.Equal(yaml, page.Find("textarea[data-testid=import-yaml]").GetAttribute("value")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Pasted_PreviewShowsTheCreateWithItsDiffAndWarning_ApplyStoresIt_AuditedAsPasted()
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = await StoreWithServiceAsync(scope, "bunit-import");
        await using var context = new Context(portal, OperatorPolicies);
        var page = RenderPage(context);

        EnterManifests(page, VirtualService("bunit-import"));
        Assert.Contains("Source: pasted", page.Find("[data-testid=import-source]").TextContent);
        Assert.True(page.Find("button[data-testid=import-apply]").HasAttribute("disabled")); // nothing previewed yet
        page.Find("button[data-testid=import-preview]").Click();

        page.WaitForAssertion(() => page.Find("[data-testid=import-change-HttpRoute-default-bunit-import]"), TimeSpan.FromSeconds(10));
        var change = page.Find("[data-testid=import-change-HttpRoute-default-bunit-import]");
        Assert.Equal("create", change.QuerySelector("[data-testid=import-action]")!.TextContent.Trim());
        Assert.Contains("\"weight\": 90", change.QuerySelector("[data-testid=diff-view]")!.TextContent);
        var warning = page.FindAll("[data-testid=import-messages] tbody tr").Single(r => r.TextContent.Contains("CORS"));
        Assert.Contains("warning", warning.TextContent);
        Assert.Contains("spec.http[0].corsPolicy", warning.TextContent);
        Assert.Null(await store.GetAsync(new ResourceKey(ResourceKind.HttpRoute, "default", "bunit-import")));

        page.Find("button[data-testid=import-apply]").Click();

        page.WaitForAssertion(() => Assert.Contains("Imported", page.Find("[data-testid=outcome]").TextContent), TimeSpan.FromSeconds(10));
        var stored = (HttpRoute)(await store.GetAsync(new ResourceKey(ResourceKind.HttpRoute, "default", "bunit-import")))!.Resource;
        Assert.Equal([90, 10], stored.Rules[0].BackendRefs.Select(b => b.Weight));
        var audit = await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Kind = ResourceKind.HttpRoute, Name = "bunit-import" });
        var entry = Assert.Single(audit);
        Assert.Equal(("ivy@meshwork.test", ChangeSource.Portal, "import of pasted"), (entry.Actor, entry.Source, entry.Reason));
        Assert.NotNull(page.Find("[data-testid=import-open-bunit-import]").GetAttribute("href"));
    }

    [Fact]
    public async Task UploadedFileWithABadDocument_ErrorNamesDocumentAndField_ApplyDisabled_NothingWritten()
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = await StoreWithServiceAsync(scope, "bunit-import-bad");
        await using var context = new Context(portal, OperatorPolicies);
        var page = RenderPage(context);

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(VirtualService("bunit-import-bad") + "\n---\n" + CustomAuthorization, "mesh-policies.yaml"));
        page.WaitForAssertion(() => Assert.Contains("Source: mesh-policies.yaml", page.Find("[data-testid=import-source]").TextContent), TimeSpan.FromSeconds(10));
        page.Find("button[data-testid=import-preview]").Click();

        page.WaitForAssertion(() => page.Find("[data-testid=import-blocked]"), TimeSpan.FromSeconds(10));
        var error = page.FindAll("[data-testid=import-messages] tbody tr").First();
        var cells = error.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(("error", "2", "spec.action"), (cells[0], cells[1], cells[2]));
        Assert.Contains("CUSTOM", cells[3]);
        Assert.True(page.Find("button[data-testid=import-apply]").HasAttribute("disabled"));
        Assert.Null(await store.GetAsync(new ResourceKey(ResourceKind.HttpRoute, "default", "bunit-import-bad")));
    }

    [Fact]
    public async Task EditedAfterPreview_PreviewIsDropped_SoOnlyWhatWasPreviewedCanBeApplied()
    {
        await using var scope = portal.Services.CreateAsyncScope();
        await StoreWithServiceAsync(scope, "bunit-import-edit");
        await using var context = new Context(portal, OperatorPolicies);
        var page = RenderPage(context);
        EnterManifests(page, VirtualService("bunit-import-edit"));
        page.Find("button[data-testid=import-preview]").Click();
        page.WaitForAssertion(() => Assert.False(page.Find("button[data-testid=import-apply]").HasAttribute("disabled")), TimeSpan.FromSeconds(10));

        EnterManifests(page, VirtualService("bunit-import-edit").Replace("weight: 90", "weight: 50"));

        Assert.True(page.Find("button[data-testid=import-apply]").HasAttribute("disabled"));
        Assert.Empty(page.FindAll("[data-testid=import-change-HttpRoute-default-bunit-import-edit]"));
    }

    [Fact]
    public async Task Viewer_PreviewAllowed_ApplyRefused_NothingWritten()
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = await StoreWithServiceAsync(scope, "bunit-import-viewer");
        await using var context = new Context(portal, PortalPolicies.Read);
        var page = RenderPage(context);
        EnterManifests(page, VirtualService("bunit-import-viewer"));
        page.Find("button[data-testid=import-preview]").Click();
        page.WaitForAssertion(() => Assert.False(page.Find("button[data-testid=import-apply]").HasAttribute("disabled")), TimeSpan.FromSeconds(10));

        page.Find("button[data-testid=import-apply]").Click();

        page.WaitForAssertion(() => Assert.Contains("Your role does not allow importing", page.Find("[data-testid=outcome]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Null(await store.GetAsync(new ResourceKey(ResourceKind.HttpRoute, "default", "bunit-import-viewer")));
    }
}
