using AngleSharp.Dom;
using Bunit;
using Meshwork.Portal.Components.Shared;
using Meshwork.Portal.Identity;
using Meshwork.Portal.Tests.Components;
using Meshwork.Portal.ViewModels;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Waiting;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// The Fleet page's demo traffic panel over the real generator process (<see cref="DemoTrafficMesh"/>) and the
/// real store: what each role may do, every refused change named by field with nothing changed, and a change
/// that really moves the traffic, counted where it arrives (the demo backends' own counters).
/// </summary>
public sealed class DemoTrafficPanelTests(DemoTrafficMesh mesh) : IClassFixture<DemoTrafficMesh>
{
    private const string Operator = "otto@meshwork.test";
    private static readonly string[] OperatorPolicies = [PortalPolicies.Read, PortalPolicies.EditTraffic];
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private sealed class Context : PortalComponentTest
    {
        public Context(DemoTrafficMesh mesh, string user, string[] policies) : base(mesh.Portal, user, policies) =>
            Services.AddSingleton(mesh.Client());
    }

    [Fact]
    public async Task Viewer_SeesRateAndMix_ReadOnly_WithoutApply()
    {
        await using var context = new Context(mesh, "vera@meshwork.test", [PortalPolicies.Read]);

        var panel = await RenderAsync(context);

        Assert.Equal(2, panel.FindAll("[data-testid=demo-traffic-target]").Count);
        Assert.True(panel.Find("input[data-testid=demo-traffic-rps]").HasAttribute("readonly"));
        Assert.All(panel.FindAll("input[data-testid=demo-traffic-weight]"), input => Assert.True(input.HasAttribute("readonly")));
        Assert.Empty(panel.FindAll("[data-testid=demo-traffic-apply]"));
        Assert.Empty(panel.FindAll("[data-testid=demo-traffic-add]"));
        // The page hid the button; the view model refuses all the same.
        var refused = await context.Services.GetRequiredService<DemoTrafficViewModel>().ApplyAsync(50, [new(mesh.First.Url + "/", 1)]);
        Assert.Equal("Only operators and admins change the demo traffic.", refused.Errors["role"]);
    }

    [Fact]
    public async Task Operator_BadRateWeightAndForeignHost_EachNamedByField_AndNothingChanges()
    {
        await using var context = new Context(mesh, Operator, OperatorPolicies);
        var panel = await RenderAsync(context);
        var before = await mesh.GeneratorViewAsync();
        var auditedBefore = await AuditedChangesAsync();

        await panel.InvokeAsync(() =>
        {
            panel.Find("input[data-testid=demo-traffic-rps]").Change("5000");
            panel.FindAll("input[data-testid=demo-traffic-url]")[1].Change("http://203.0.113.9/");
            panel.FindAll("input[data-testid=demo-traffic-weight]")[0].Change("-1");
            return panel.Find("[data-testid=demo-traffic-apply]").ClickAsync(new());
        });

        panel.WaitForAssertion(() => Assert.Equal(3, panel.FindAll("[data-testid=demo-traffic-error]").Count), TimeSpan.FromSeconds(30));
        Assert.Equal("rps: Requests per second must be between 0 (paused) and 1000, got 5000.", Error(panel, "rps"));
        Assert.StartsWith("targets[1].url: Target 2 must stay on http://127.0.0.1:", Error(panel, "targets[1].url"));
        Assert.Equal("targets[0].weight: The weight of target 1 must be between 0 and 1000, got -1.", Error(panel, "targets[0].weight"));
        var after = await mesh.GeneratorViewAsync();
        Assert.Equal(before.GetProperty("rps").GetDouble(), after.GetProperty("rps").GetDouble());
        Assert.Equal(before.GetProperty("targets").GetRawText(), after.GetProperty("targets").GetRawText());
        Assert.Equal(auditedBefore.Count, (await AuditedChangesAsync()).Count);
    }

    [Fact]
    public async Task Operator_EveryWeightZero_IsRefusedNamingTheMix()
    {
        await using var context = new Context(mesh, Operator, OperatorPolicies);
        var model = context.Services.GetRequiredService<DemoTrafficViewModel>();
        await model.LoadAsync();

        var refused = await model.ApplyAsync(5, [new(mesh.First.Url + "/", 0), new(mesh.Second.Url + "/", 0)]);

        Assert.Equal("At least one target needs a weight above 0 (set the rate to 0 to pause the traffic).", refused.Errors["targets"]);
        Assert.Null(refused.View);
    }

    [Fact]
    public async Task Operator_PausesThenSetsRateAndMix_TheGeneratorProcessReallyChanges_CountedAtTheBackends_AndAudited()
    {
        await using var context = new Context(mesh, Operator, OperatorPolicies);
        var panel = await RenderAsync(context);
        await Eventually.HoldsAsync(async () => await mesh.Second.RequestCountAsync() > 3, "the start mix reaches the second backend", Patience);

        // 0 requests/s from the panel: once what was in flight arrived, nothing more does.
        await ApplyAsync(panel, "0", "1", "1");
        var paused = await SettledAsync();
        await Task.Delay(TimeSpan.FromSeconds(3)); // a window in which a paused generator sends nothing
        Assert.Equal(paused, await CountsAsync());

        // 40 requests/s, three quarters to the first backend: traffic flows again, in that mix.
        await ApplyAsync(panel, "40", "3", "1");
        await Eventually.HoldsAsync(async () => await mesh.First.RequestCountAsync() >= paused.First + 60, "60 requests at the first backend at the new rate", Patience);
        await ApplyAsync(panel, "0", "3", "1");
        var after = await SettledAsync();

        var (first, second) = (after.First - paused.First, after.Second - paused.Second);
        Assert.Equal(after.Sent - paused.Sent, first + second); // every request the generator sent arrived, and no other
        Assert.InRange(first - 3 * second, -3, 3);              // smooth weighted rotation: exactly 3:1 per 4 sends
        var audited = await AuditedChangesAsync();
        var set = Assert.Single(audited, e => e.AfterJson!.StartsWith("{\"rps\":40,", StringComparison.Ordinal));
        Assert.Equal((Operator, ChangeSource.Portal, "default", DemoTrafficViewModel.AuditName), (set.Actor, set.Source, set.Namespace, set.Name));
        Assert.Contains("\"before\":{\"rps\":0", set.AfterJson, StringComparison.Ordinal);
    }

    private sealed record Counts(long First, long Second, long Sent);

    private async Task<Counts> CountsAsync() =>
        new(await mesh.First.RequestCountAsync(), await mesh.Second.RequestCountAsync(), (await mesh.GeneratorViewAsync()).GetProperty("sent").GetInt64());

    /// <summary>The counts once a paused generator's last requests have arrived: two reads a second apart agree.</summary>
    private async Task<Counts> SettledAsync()
    {
        Counts? settled = null;
        await Eventually.HoldsAsync(async () =>
        {
            var first = await CountsAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));
            var second = await CountsAsync();
            settled = second;
            return first == second;
        }, "the paused generator's last requests arrive", Patience);
        return settled!;
    }

    /// <summary>Types the rate and the weights into the panel and applies them; waits until the generator runs them.</summary>
    private async Task ApplyAsync(IRenderedComponent<DemoTrafficPanel> panel, string rps, params string[] weights)
    {
        await panel.InvokeAsync(() =>
        {
            panel.Find("input[data-testid=demo-traffic-rps]").Change(rps);
            var inputs = panel.FindAll("input[data-testid=demo-traffic-weight]");
            for (var i = 0; i < weights.Length; i++)
                inputs[i].Change(weights[i]);
            return panel.Find("[data-testid=demo-traffic-apply]").ClickAsync(new());
        });
        await Eventually.HoldsAsync(async () => (await mesh.GeneratorViewAsync()).GetProperty("rps").GetDouble() == double.Parse(rps, System.Globalization.CultureInfo.InvariantCulture),
            $"the generator runs at {rps} requests/s", Patience);
        Assert.Empty(panel.FindAll("[data-testid=demo-traffic-error]"));
    }

    private async Task<IReadOnlyList<AuditEntry>> AuditedChangesAsync()
    {
        await using var db = MigratedDatabase.OpenSession(mesh.Portal.ConnectionString);
        return await new AuditLog(db).QueryAsync(new AuditQuery { Action = ChangeAction.SetTraffic });
    }

    private static async Task<IRenderedComponent<DemoTrafficPanel>> RenderAsync(Context context)
    {
        var model = context.Services.GetRequiredService<DemoTrafficViewModel>();
        await model.LoadAsync();
        var panel = context.Render<DemoTrafficPanel>(p => p.Add(x => x.Model, model));
        panel.WaitForAssertion(() => Assert.NotEmpty(panel.FindAll("[data-testid=demo-traffic-target]")), TimeSpan.FromSeconds(30));
        return panel;
    }

    private static string Error(IRenderedComponent<DemoTrafficPanel> panel, string field) =>
        panel.FindAll("[data-testid=demo-traffic-error]").Single(e => e.GetAttribute("data-field") == field).TextContent.Trim();
}
