using Bunit;
using Meshwork.Model.Resources;
using Meshwork.Portal.Components.Shared.Forms;
using Meshwork.Portal.Identity;
using Meshwork.Portal.ViewModels;
using Meshwork.Protocol.Status;
using Meshwork.Store;
using Meshwork.Testing.Waiting;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Meshwork.Portal.Tests.Components;

/// <summary>
/// The route form over the real store: the shared validator's issues land on the field they name,
/// the preview lists exactly the changed fields and the connected proxies they reach, an invalid
/// draft writes nothing, and a concurrent edit ends in a merge that keeps both people's changes.
/// </summary>
public sealed class ResourceFormTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private Task<ResourceKey> SeedRouteAsync(string name) => SeedRouteAsync(portal, name);

    /// <summary>Service <paramref name="name"/> (v1, v2) and its route: /api split 90/10.</summary>
    internal static async Task<ResourceKey> SeedRouteAsync(PortalFactory portal, string name)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var actor = new ChangeActor("seed@meshwork.test", ChangeSource.Api);
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(Samples.Service(name, versions: ["v1", "v2"]), actor));
        var route = new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = name },
            ParentRefs = [new ParentRef { Name = name }],
            Rules =
            [
                new HttpRouteRule
                {
                    Matches = [new HttpRouteMatch { Path = new PathMatch { Value = "/api" } }],
                    BackendRefs = [new BackendRef { Service = name, Version = "v1", Weight = 90 }, new BackendRef { Service = name, Version = "v2", Weight = 10 }],
                },
            ],
        };
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(route, actor));
        return route.Key;
    }

    private async Task<StoredResource> StoredAsync(ResourceKey key)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<ResourceService>().GetAsync(key))!;
    }

    internal static IRenderedComponent<IComponent> Render(BunitContext context, ResourceKey key) =>
        context.Render(b =>
        {
            b.OpenComponent<MudPopoverProvider>(0);
            b.CloseComponent();
            b.OpenComponent<MudSnackbarProvider>(1);
            b.CloseComponent();
            b.OpenComponent<MudDialogProvider>(2);
            b.CloseComponent();
            b.OpenComponent<ResourceEditor>(3);
            b.AddAttribute(4, nameof(ResourceEditor.ResourceKey), key);
            b.CloseComponent();
        });

    private static string Field(string path) => $"[data-field='{path}']";

    internal static void Type(IRenderedComponent<IComponent> page, string path, string text) =>
        page.Find($"{Field(path)} input").Input(text);

    private static string ErrorOn(IRenderedComponent<IComponent> page, string path) =>
        page.Find(Field(path)).QuerySelector(".mud-input-error")?.TextContent.Trim() ?? "";

    private static void ReviewAndApply(IRenderedComponent<IComponent> page)
    {
        page.WaitForAssertion(() => Assert.False(page.Find("button[data-testid=form-review]").HasAttribute("disabled")), Wait);
        page.Find("button[data-testid=form-review]").Click();
        page.WaitForElement("button[data-testid=form-apply]", Wait).Click();
    }

    internal static void Loaded(IRenderedComponent<IComponent> page) =>
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll(Field("rules[0].backendRefs[0].weight"))), Wait);

    [Fact]
    public async Task TypingABadValue_ShowsTheValidatorsErrorOnThatField_AndOnNoOther()
    {
        var key = await SeedRouteAsync("form-inline");
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        Loaded(page);

        Type(page, "rules[0].backendRefs[1].weight", "-5");
        Type(page, "rules[0].matches[0].path.value", "api");

        page.WaitForAssertion(() =>
        {
            Assert.Contains("must not be negative, was -5", ErrorOn(page, "rules[0].backendRefs[1].weight"));
            Assert.Contains("must start with '/'", ErrorOn(page, "rules[0].matches[0].path.value"));
            Assert.Equal("", ErrorOn(page, "rules[0].backendRefs[0].weight"));
            Assert.Equal("", ErrorOn(page, "rules[0].backendRefs[1].service"));
        }, Wait);

        // Fixing the field clears its error as you type.
        Type(page, "rules[0].backendRefs[1].weight", "10");
        page.WaitForAssertion(() => Assert.Equal("", ErrorOn(page, "rules[0].backendRefs[1].weight")), Wait);
    }

    [Fact]
    public async Task ABadField_WritesNothing_AndEveryStoreIssueShowsOnItsField()
    {
        var key = await SeedRouteAsync("form-invalid");
        var before = await StoredAsync(key);
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        Loaded(page);

        page.Find("[data-testid=add-abort]").Click();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll(Field("rules[0].fault.abort.httpStatus"))), Wait);
        Type(page, "rules[0].fault.abort.httpStatus", "700");
        page.WaitForAssertion(() => Assert.True(page.Find("button[data-testid=form-review]").HasAttribute("disabled")), Wait);

        // The page's own view-model applies as the Apply button would: the store refuses it and writes nothing.
        var form = page.FindComponent<ResourceFormShell>().Instance.Form;
        var draft = form.Draft!;
        var outcome = await page.InvokeAsync(() => form.ApplyAsync());
        Assert.False(outcome.Succeeded);
        var after = await StoredAsync(key);
        Assert.Equal(before.Resource.Metadata.Version, after.Resource.Metadata.Version);
        Assert.Null(((HttpRoute)after.Resource).Rules[0].Fault);

        // Every error the store reports for this draft is on the field its path names.
        await using var scope = portal.Services.CreateAsyncScope();
        var errors = scope.ServiceProvider.GetRequiredService<ResourceService>().Validate(draft).Errors.ToList();
        Assert.NotEmpty(errors);
        page.WaitForAssertion(() =>
        {
            foreach (var error in errors)
                Assert.Contains(error.Message, ErrorOn(page, error.Path));
        }, Wait);
    }

    [Fact]
    public async Task Review_ShowsExactlyTheChangedFields_AndTheConnectedProxiesReached()
    {
        var key = await SeedRouteAsync("form-diff");
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var update = new StatusUpdate { FullState = true, AtUnixMs = 1_000 };
        update.Proxies.Add(new ProxyStatus { ProxyId = "web-1", Service = "web", Namespace = "default", Version = "v1", Connected = true });
        update.Proxies.Add(new ProxyStatus { ProxyId = "web-gone", Service = "web", Namespace = "default", Version = "v1", Connected = false });
        context.State.Apply(LiveComponentTest.ControlPlane, update);
        var page = Render(context, key);
        Loaded(page);

        Type(page, "rules[0].backendRefs[0].weight", "80");
        Type(page, "rules[0].backendRefs[1].weight", "20");
        page.Find("[data-testid=add-abort]").Click();
        page.WaitForAssertion(() => Assert.False(page.Find("button[data-testid=form-review]").HasAttribute("disabled")), Wait);
        page.Find("button[data-testid=form-review]").Click();

        page.WaitForAssertion(() =>
        {
            var rows = page.FindAll("[data-testid=diff-row]").Select(r => (r.GetAttribute("data-path"), r.QuerySelector(".diff-before")!.TextContent, r.QuerySelector(".diff-after")!.TextContent)).ToList();
            Assert.Equal(
            [
                ("rules[0].backendRefs[0].weight", "90", "80"),
                ("rules[0].backendRefs[1].weight", "10", "20"),
                ("rules[0].fault.abort.httpStatus", "(not set)", "503"),
                ("rules[0].fault.abort.percent", "(not set)", "100"),
            ], rows.OrderBy(r => r.Item1, StringComparer.Ordinal));
            Assert.Equal(["default/web v1 · web-1"], page.FindAll("[data-testid=reached-proxy]").Select(p => p.TextContent.Trim()));
        }, Wait);

        page.WaitForElement("button[data-testid=form-apply]", Wait).Click();
        page.WaitForAssertion(() => Assert.Contains("Applied", page.Find("[data-testid=outcome]").TextContent), Wait);
        var stored = (HttpRoute)(await StoredAsync(key)).Resource;
        Assert.Equal([80, 20], stored.Rules[0].BackendRefs.Select(b => b.Weight));
        Assert.Equal(503, stored.Rules[0].Fault?.Abort?.HttpStatus);
    }

    /// <summary>The set-up of the conflict tests: two people with the same seeded route open and loaded in the form.</summary>
    private sealed class TwoEditors : IAsyncDisposable
    {
        private readonly LiveComponentTest firstContext;
        private readonly LiveComponentTest secondContext;

        private TwoEditors(PortalFactory portal, ResourceKey key)
        {
            Key = key;
            firstContext = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
            secondContext = new LiveComponentTest(portal, "second@meshwork.test", [.. PortalPolicies.All]);
            First = Render(firstContext, key);
            Second = Render(secondContext, key);
            Loaded(First);
            Loaded(Second);
        }

        public ResourceKey Key { get; }
        public IRenderedComponent<IComponent> First { get; }
        public IRenderedComponent<IComponent> Second { get; }

        public static async Task<TwoEditors> OpenAsync(PortalFactory portal, string route) => new(portal, await SeedRouteAsync(portal, route));

        /// <summary>The first person moves the split to 50/50 in the form and applies it.</summary>
        public void FirstSplitsEvenly()
        {
            Type(First, "rules[0].backendRefs[0].weight", "50");
            Type(First, "rules[0].backendRefs[1].weight", "50");
            ReviewAndApply(First);
            First.WaitForAssertion(() => Assert.Contains("Applied", First.Find("[data-testid=outcome]").TextContent), Wait);
        }

        public async ValueTask DisposeAsync()
        {
            await firstContext.DisposeAsync();
            await secondContext.DisposeAsync();
        }
    }

    [Fact]
    public async Task TwoPeopleEditOneRoute_TheSecondSeesTheConflict_AndTheMergeKeepsBothChanges()
    {
        await using var editors = await TwoEditors.OpenAsync(portal, "form-conflict");
        var (key, secondPage) = (editors.Key, editors.Second);
        editors.FirstSplitsEvenly();

        Type(secondPage, "rules[0].matches[0].method", "GET");
        ReviewAndApply(secondPage);

        secondPage.WaitForAssertion(() =>
        {
            Assert.Contains("stored version", secondPage.Find("[data-testid=outcome]").TextContent);
            Assert.Contains("rules[0].backendRefs[0].weight", secondPage.Find("[data-testid=their-changes]").TextContent);
            Assert.Contains("rules[0].matches[0].method", secondPage.Find("[data-testid=my-changes]").TextContent);
        }, Wait);
        var unchanged = (HttpRoute)(await StoredAsync(key)).Resource;
        Assert.Null(unchanged.Rules[0].Matches[0].Method);

        secondPage.WaitForElement("button[data-testid=conflict-apply-merged]", Wait).Click();
        secondPage.WaitForAssertion(() => Assert.Contains("Applied", secondPage.Find("[data-testid=outcome]").TextContent), Wait);
        var merged = (HttpRoute)(await StoredAsync(key)).Resource;
        Assert.Equal([50, 50], merged.Rules[0].BackendRefs.Select(b => b.Weight));
        Assert.Equal("GET", merged.Rules[0].Matches[0].Method);
    }

    [Fact]
    public async Task TheYamlTab_MeetsAConcurrentFormEdit_WithTheSameMergeChoice_AndTheMergeKeepsBothChanges()
    {
        await using var editors = await TwoEditors.OpenAsync(portal, "yaml-conflict");
        var (key, secondPage) = (editors.Key, editors.Second);

        // The second person's YAML tab holds version 1 and edits the match's path there.
        // Found and clicked in one dispatch: a live re-render in between would drop the click's handler.
        await secondPage.InvokeAsync(() => secondPage.FindAll(".mud-tab").Single(t => t.TextContent.Contains("YAML")).Click());
        secondPage.WaitForAssertion(() => Assert.Contains("/api", secondPage.Find("textarea[data-testid=yaml-editor]").GetAttribute("value")), Wait);
        var loadedYaml = secondPage.Find("textarea[data-testid=yaml-editor]").GetAttribute("value")!;
        var myYaml = loadedYaml.Replace("/api", "/api/v2", StringComparison.Ordinal);
        Assert.NotEqual(loadedYaml, myYaml);
        await secondPage.InvokeAsync(() => secondPage.Find("textarea[data-testid=yaml-editor]").Input(myYaml));
        secondPage.WaitForAssertion(() => Assert.Equal(myYaml, secondPage.Find("textarea[data-testid=yaml-editor]").GetAttribute("value")), Wait);

        // Meanwhile the first person moves the split in the form.
        editors.FirstSplitsEvenly();

        await secondPage.InvokeAsync(() => secondPage.Find("button[data-testid=yaml-apply]").Click());
        secondPage.WaitForAssertion(() =>
        {
            Assert.Contains("rules[0].backendRefs[0].weight", secondPage.Find("[data-testid=their-changes]").TextContent);
            Assert.Contains("rules[0].matches[0].path.value", secondPage.Find("[data-testid=my-changes]").TextContent);
        }, Wait);
        Assert.Equal("/api", ((HttpRoute)(await StoredAsync(key)).Resource).Rules[0].Matches[0].Path!.Value);

        secondPage.WaitForElement("button[data-testid=conflict-apply-merged]", Wait).Click();
        await Eventually.HoldsAsync(async () => (await StoredAsync(key)).Resource.Metadata.Version == 3, "the merge stored", Wait);
        var merged = (HttpRoute)(await StoredAsync(key)).Resource;
        Assert.Equal([50, 50], merged.Rules[0].BackendRefs.Select(b => b.Weight));
        Assert.Equal("/api/v2", merged.Rules[0].Matches[0].Path!.Value);
        Assert.Equal("second@meshwork.test", (await StoredAsync(key)).UpdatedBy);
    }

    [Fact]
    public async Task AViewer_ReadsTheForm_ButCannotApply()
    {
        var key = await SeedRouteAsync("form-viewer");
        await using var context = new LiveComponentTest(portal, "viewer@meshwork.test", [PortalPolicies.Read]);
        var page = Render(context, key);
        Loaded(page);

        Assert.Empty(page.FindAll("[data-testid=form-review]"));
        Assert.Contains("can read this HttpRoute but not change it", page.Find("[data-testid=form-version]").TextContent);
        var outcome = await page.InvokeAsync(() => page.FindComponent<ResourceFormShell>().Instance.Form.ApplyAsync());
        Assert.Contains("Your role does not allow", outcome.Message);
    }

    [Fact]
    public async Task ResilienceForm_WarnsOnTheFieldToChange_RetriesWithoutPerTryTimeout_AndFaultsOnARetriedRoute()
    {
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
            var actor = new ChangeActor("seed@meshwork.test", ChangeSource.Api);
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(Samples.Service("form-risky"), actor));
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new HttpRoute
            {
                Metadata = new ResourceMetadata { Name = "form-risky" },
                ParentRefs = [new ParentRef { Name = "form-risky" }],
                Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "form-risky" }], Fault = new FaultInjection { Abort = new FaultAbort { HttpStatus = 503, Percent = 5 } } }],
            }, actor));
            Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new ResiliencePolicy
            {
                Metadata = new ResourceMetadata { Name = "form-risky" },
                Service = "form-risky",
                Retries = new RetryPolicy { PerTryTimeout = TimeSpan.FromMilliseconds(500) },
            }, actor));
        }
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, new ResourceKey(ResourceKind.ResiliencePolicy, "default", "form-risky"));
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll(Field("retries.perTryTimeout"))), Wait);

        Assert.Contains("route default/form-risky rule 1 aborts 5 % of requests with 503", page.Find("[data-field-warning=retries]").TextContent);
        Assert.DoesNotContain("Warning", page.Find(Field("retries.perTryTimeout")).TextContent);

        Type(page, "retries.perTryTimeout", "");
        page.WaitForAssertion(() => Assert.Contains("Warning: retries without a per-try timeout", page.Find(Field("retries.perTryTimeout")).TextContent), Wait);
        Type(page, "retries.perTryTimeout", "5 parsecs");
        page.WaitForAssertion(() => Assert.NotEqual("", ErrorOn(page, "retries.perTryTimeout")), Wait);
        Assert.True(page.Find("button[data-testid=form-review]").HasAttribute("disabled"));
    }

    private async Task<ResourceKey> SeedAccessPolicyAsync(string name)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var actor = new ChangeActor("seed@meshwork.test", ChangeSource.Api);
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(Samples.Service(name), actor));
        var policy = new AccessPolicy
        {
            Metadata = new ResourceMetadata { Name = name },
            Service = name,
            Action = AccessAction.Deny,
            Rules = [new AccessRule { From = [new AccessSource { Services = ["web"] }], To = [new AccessOperation { Methods = ["DELETE"] }] }],
        };
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(policy, actor));
        return policy.Key;
    }

    [Fact]
    public async Task AccessForm_AListEntrysErrorShowsOnItsListField_AndAnAdminAppliesTheFix()
    {
        var key = await SeedAccessPolicyAsync("form-access");
        await using var context = new LiveComponentTest(portal, PortalFactory.AdminEmail, [.. PortalPolicies.All]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll(Field("rules[0].to[0].methods"))), Wait);

        Type(page, "rules[0].to[0].methods", "DELETE, FETCH");
        page.WaitForAssertion(() => Assert.Contains("[1]: 'FETCH' is not an HTTP method", ErrorOn(page, "rules[0].to[0].methods")), Wait);
        Assert.Equal("", ErrorOn(page, "rules[0].from[0].services"));

        Type(page, "rules[0].to[0].methods", "DELETE, PUT");
        ReviewAndApply(page);
        page.WaitForAssertion(() => Assert.Contains("Applied", page.Find("[data-testid=outcome]").TextContent), Wait);
        Assert.Equal(["DELETE", "PUT"], ((AccessPolicy)(await StoredAsync(key)).Resource).Rules[0].To[0].Methods);
    }

    [Fact]
    public async Task AccessForm_AnOperator_ReadsButCannotChangeAccess()
    {
        var key = await SeedAccessPolicyAsync("form-access-operator");
        await using var context = new LiveComponentTest(portal, "operator@meshwork.test", [PortalPolicies.Read, PortalPolicies.EditTraffic]);
        var page = Render(context, key);
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll(Field("rules[0].to[0].methods"))), Wait);

        Assert.Empty(page.FindAll("[data-testid=form-review]"));
        Assert.Contains("can read this AccessPolicy but not change it", page.Find("[data-testid=form-version]").TextContent);
    }
}
