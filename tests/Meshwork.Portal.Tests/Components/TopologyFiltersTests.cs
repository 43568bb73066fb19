using Bunit;
using Meshwork.Portal.Components.Pages;
using Meshwork.Portal.Identity;
using Meshwork.Portal.ViewModels;
using Meshwork.Protocol.Stats;
using Meshwork.Protocol.Status;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The Topology page's filters driven through the real MudBlazor controls: each change reaches the graph module as the
/// exact <see cref="TopologyFilter"/> (the browser's graph draws from it, so this is what the page promises the graph).
/// </summary>
public sealed class TopologyFiltersTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    // bUnit's Input()/Change()/Click() do not wait for MudBlazor's async callbacks (nor the search box's debounce):
    // every effect is waited for, generously, as a loaded 2-core machine may take its time.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Filters_NamespaceSearchAndHideIdle_SendTheExactFilterToTheGraph_AllNamespacesClearsTheNamespace()
    {
        await using var context = new LiveComponentTest(portal, "vera@meshwork.test", [PortalPolicies.Read]);
        context.State.Apply(LiveComponentTest.ControlPlane, TwoNamespaces());
        var graph = context.JSInterop.SetupModule("./js/topology-graph.js");
        graph.SetupVoid("create", _ => true).SetVoidResult();
        graph.SetupVoid("setFilter", _ => true).SetVoidResult();

        var page = context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<Topology>(1);
            b.CloseComponent();
        });
        page.WaitForAssertion(() => Assert.Equal(new TopologyFilter(), Assert.Single(graph.Invocations["create"]).Arguments[3]), Patience);
        var sent = new List<TopologyFilter>();

        // The namespaces offered are the snapshot's, after "All namespaces".
        Assert.Equal(["All namespaces", "finance", "storefront"], OpenNamespaces(page));
        Choose(page, "finance");
        sent.Add(new TopologyFilter(Namespace: "finance"));
        page.WaitForAssertion(() => Assert.Equal(sent, SetFilters(graph)), Patience);

        page.Find("[data-testid=topology-search] input, input[data-testid=topology-search]").Input("ledg");
        sent.Add(new TopologyFilter(Namespace: "finance", Search: "ledg"));
        page.WaitForAssertion(() => Assert.Equal(sent, SetFilters(graph)), Patience);

        page.Find("[data-testid=topology-hide-idle] input, input[data-testid=topology-hide-idle]").Change(true);
        sent.Add(new TopologyFilter(Namespace: "finance", HideIdle: true, Search: "ledg"));
        page.WaitForAssertion(() => Assert.Equal(sent, SetFilters(graph)), Patience);

        Assert.Equal(["All namespaces", "finance", "storefront"], OpenNamespaces(page));
        Choose(page, "All namespaces");
        sent.Add(new TopologyFilter(Namespace: null, HideIdle: true, Search: "ledg"));
        page.WaitForAssertion(() => Assert.Equal(sent, SetFilters(graph)), Patience);
    }

    private static List<TopologyFilter> SetFilters(BunitJSModuleInterop graph) =>
        graph.Invocations["setFilter"].Select(call => Assert.IsType<TopologyFilter>(call.Arguments[1])).ToList();

    /// <summary>Opens the namespace list (MudSelect opens on mouse down) and returns the items it offers.</summary>
    private static List<string> OpenNamespaces(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page)
    {
        page.Find("[data-testid=topology-namespace]").Closest(".mud-input-control")!.MouseDown();
        List<string> offered = [];
        page.WaitForAssertion(() => Assert.NotEmpty(offered = NamespaceItems(page).Select(item => item.TextContent.Trim()).ToList()), Patience);
        return offered;
    }

    private static void Choose(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page, string item) =>
        NamespaceItems(page).Single(i => i.TextContent.Trim() == item).Click();

    private static IEnumerable<AngleSharp.Dom.IElement> NamespaceItems(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> page) =>
        page.FindAll(".mud-popover-open .mud-list-item");

    /// <summary>Versions and a call in two namespaces: storefront's web and orders, and finance's ledger that orders calls.</summary>
    private static StatusUpdate TwoNamespaces()
    {
        var update = new StatusUpdate { FullState = true, AtUnixMs = 1_000, HasSignals = true, ConfigVersion = 1 };
        update.ServiceVersions.Add(Version("storefront", "web"));
        update.ServiceVersions.Add(Version("storefront", "orders"));
        update.ServiceVersions.Add(Version("finance", "ledger"));
        update.Edges.Add(new EdgeSignals
        {
            SourceService = "orders", SourceNamespace = "storefront", SourceVersion = "v1",
            DestinationService = "ledger", DestinationNamespace = "finance", DestinationVersion = "v1",
            Signals = Signals(),
        });
        return update;
    }

    private static ServiceVersionSignals Version(string @namespace, string service) =>
        new() { Service = service, Namespace = @namespace, Version = "v1", Signals = Signals() };

    private static GoldenSignals Signals() => GoldenSignalsMerge.FromCounts(100, 0, 10, 10, new MergedHistogram());
}
