using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Components.Shared;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace Meshwork.Portal.Tests.Components;

/// <summary>The resource lists' grid: a search over every column narrows the rows, and each editable kind links to its form.</summary>
public sealed class ResourceTableTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
    private const string Filter = "[data-testid=resource-filter] input, input[data-testid=resource-filter]";

    /// <summary>MudBlazor's services dispose only asynchronously: each test disposes its context with await using.</summary>
    private static BunitContext NewContext()
    {
        var context = new BunitContext();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        return context;
    }

    private static StoredResource Stored(Resource resource, string by) => new(resource, At, by);

    private static IRenderedComponent<ResourceTable> RenderGrid(BunitContext context)
    {
        context.Render<MudPopoverProvider>();
        return context.Render<ResourceTable>(p => p.Add(t => t.Items,
        [
            Stored(Samples.Service("checkout"), "ann@meshwork.test"),
            Stored(new HttpRoute { Metadata = new ResourceMetadata { Name = "checkout-route" }, ParentRefs = [new ParentRef { Name = "checkout" }] }, "bob@meshwork.test"),
            Stored(new ResiliencePolicy { Metadata = new ResourceMetadata { Name = "payments" }, Service = "payments" }, "bob@meshwork.test"),
        ]));
    }

    private static IReadOnlyList<string> Names(IRenderedComponent<ResourceTable> grid) =>
        grid.FindAll("tbody tr").Select(r => r.QuerySelectorAll("td")[1].TextContent.Trim()).ToList();

    [Fact]
    public async Task Filter_NarrowsTheRowsToThoseMatchingAnyColumn()
    {
        await using var context = NewContext();
        var grid = RenderGrid(context);
        Assert.Equal(["checkout", "checkout-route", "payments"], Names(grid));

        grid.Find(Filter).Input("bob@");
        grid.WaitForAssertion(() => Assert.Equal(["checkout-route", "payments"], Names(grid)));

        grid.Find(Filter).Input("resilience");
        grid.WaitForAssertion(() => Assert.Equal(["payments"], Names(grid)));
    }

    [Fact]
    public async Task EditableKinds_LinkToTheirForm()
    {
        await using var context = NewContext();
        var grid = RenderGrid(context);

        Assert.Equal("traffic/routes/default/checkout-route", grid.Find("[data-testid=open-form-checkout-route]").GetAttribute("href"));
        Assert.Equal("resources/ResiliencePolicy/default/payments", grid.Find("[data-testid=open-form-payments]").GetAttribute("href"));
        Assert.Empty(grid.FindAll("[data-testid=open-form-checkout]"));
    }
}
