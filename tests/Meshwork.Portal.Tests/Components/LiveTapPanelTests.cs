using Bunit;
using Meshwork.Portal.Components.Shared;
using Meshwork.Portal.Identity;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Status;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The service page's live tap panel: who may start it (drawn and checked again on start), and the table it
/// draws from the updates the control plane's Tap stream delivers (fed here as the stream would).
/// </summary>
public sealed class LiveTapPanelTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private sealed class Context(PortalFactory portal, string user, string[] policies) : PortalComponentTest(portal, user, policies);

    private static RequestSample Sample(string path, int status, string version = "v2") => new()
    {
        AtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        SourceService = "web",
        SourceNamespace = "default",
        DestinationService = "orders",
        DestinationNamespace = "default",
        DestinationVersion = version,
        Method = "GET",
        Path = path,
        Status = status,
        LatencyMicros = 2500,
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
    };

    [Fact]
    public async Task Viewer_SeesTheStartDisabledWithTheReason_AndCannotStartItAnyway()
    {
        await using var context = new Context(portal, "viewer@example.com", [PortalPolicies.Read]);
        var page = Render(context);
        page.WaitForAssertion(() => Assert.Contains("needs the Operator or Admin role", page.Find("[data-testid=tap-why-not]").TextContent), Patience);
        Assert.NotNull(page.Find("button[data-testid=tap-start]").GetAttribute("disabled"));

        // The role is checked again server side, not only by the drawn button.
        var model = page.FindComponent<LiveTapPanel>().Instance.Model;
        Assert.Equal("Your role does not allow tapping live requests.", await model.StartAsync("default", "orders"));
        Assert.False(model.Running);
    }

    [Fact]
    public async Task Operator_Starts_WithoutAControlPlane_IsToldWhy()
    {
        await using var context = new Context(portal, "operator@example.com", [PortalPolicies.Read, PortalPolicies.EditTraffic]);
        var page = Render(context);
        page.WaitForAssertion(() => Assert.Null(page.Find("button[data-testid=tap-start]").GetAttribute("disabled")), Patience);
        Assert.Empty(page.FindAll("[data-testid=tap-why-not]"));

        page.Find("button[data-testid=tap-start]").Click();

        page.WaitForAssertion(() => Assert.Contains("No control plane is configured", page.Find("[data-testid=tap-message]").TextContent), Patience);
    }

    [Fact]
    public async Task Samples_ShowNewestFirst_StatusColoured_BoundedRows()
    {
        await using var context = new Context(portal, "operator@example.com", [PortalPolicies.Read, PortalPolicies.EditTraffic]);
        var page = Render(context);
        var model = page.FindComponent<LiveTapPanel>().Instance.Model;

        var first = new TapUpdate { Proxies = 2, Samples = { Sample("/items/1", 200, "v1"), Sample("/items/2", 503) } };
        model.Apply("https://cp-a:15010", first);
        model.Apply("https://cp-b:15010", new TapUpdate { Proxies = 1, Samples = { Sample("/items/3", 404) }, Dropped = 7 });

        page.WaitForAssertion(() =>
        {
            var rows = page.FindAll("[data-testid=tap-row]");
            Assert.Equal(["/items/3", "/items/2", "/items/1"], rows.Select(r => r.QuerySelector(".tap-path")!.TextContent));
            Assert.Contains("default/web", rows[0].TextContent);
            Assert.Contains("2.5 ms", rows[0].TextContent);
            Assert.Contains("4bf92f3577b34da6a3ce929d0e0e4736", rows[0].TextContent);
            Assert.Contains("v1", rows[2].TextContent);
        }, Patience);
        var chips = page.FindAll("[data-testid=tap-status]");
        Assert.Contains("mud-chip-color-warning", chips[0].ClassName);
        Assert.Contains("mud-chip-color-error", chips[1].ClassName);
        Assert.Contains("mud-chip-color-success", chips[2].ClassName);
        Assert.Equal(3, model.Proxies);
        Assert.Equal(7, model.Dropped);

        var flood = new TapUpdate { Proxies = 2 };
        for (var i = 0; i < 250; i++) flood.Samples.Add(Sample($"/flood/{i}", 200));
        model.Apply("https://cp-a:15010", flood);
        page.WaitForAssertion(() =>
        {
            var rows = page.FindAll("[data-testid=tap-row]");
            Assert.Equal(Meshwork.Portal.ViewModels.LiveTapViewModel.MaxRows, rows.Count);
            Assert.Equal("/flood/249", rows[0].QuerySelector(".tap-path")!.TextContent);
        }, Patience);
    }

    private static IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> Render(BunitContext context) =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<LiveTapPanel>(1);
            b.AddAttribute(2, nameof(LiveTapPanel.Namespace), "default");
            b.AddAttribute(3, nameof(LiveTapPanel.Service), "orders");
            b.CloseComponent();
        });
}
