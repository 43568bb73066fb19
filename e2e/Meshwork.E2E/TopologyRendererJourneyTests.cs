using System.Text.Json;
using Microsoft.Playwright;
using TopologyBench;
using Xunit.Abstractions;

namespace Meshwork.E2E;

/// <summary>
/// The topology graph's renderer switch (wwwroot/js/topology-renderer.js) through a real portal, control plane and
/// Chromium: a graph that grows above 300 edges is drawn by Cytoscape's WebGL mode, and one that shrinks to 150 or
/// fewer goes back to the 2D canvas, each time with exactly the mesh's edges. The traffic is bench/topology.sh's
/// synthetic mesh: simulated proxies (bench/ConvergenceBench's SimProxy) speaking the real stream protocol to the
/// real control plane, whose status stream the portal shows. That feed at the control plane's external boundary is
/// the only thing synthetic; the portal and the page are the product as shipped. This Chromium has WebGL 2 through
/// SwiftShader (Chromium.cs), as a browser with a GPU has.
/// </summary>
public sealed class TopologyRendererJourneyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Graph = "document.querySelector('[data-testid=topology-graph]')";
    // 100 services calling 4 others each: 400 edges with every service calling (WebGL), 120 with 30 calling (canvas).
    private const int Services = 100;
    private const int FewCallers = 30;
    private static readonly float WaitMs = (float)TimeSpan.FromMinutes(3).TotalMilliseconds;

    private readonly SyntheticMesh synthetic = new(Services, 4 * Services) { Callers = FewCallers };
    private DemoMesh? mesh;
    private SyntheticFleet? fleet;

    public async Task InitializeAsync()
    {
        mesh = await DemoMesh.StartAsync([]);
        fleet = new SyntheticFleet(synthetic, mesh.ControlPlane.Url, mesh.TrustBundle, mesh.ProxyToken);
    }

    public async Task DisposeAsync()
    {
        if (fleet is not null) await fleet.DisposeAsync();
        if (mesh is not null) await mesh.DisposeAsync();
    }

    [Fact]
    public async Task Topology_GrowsPast300Edges_DrawnWithWebGl_ShrinksTo150_CanvasAgain_WithTheMeshsEdges()
    {
        var (page, consoleErrors) = await mesh!.NewPageAsync();
        try
        {
            await mesh.SignInAsync(page, "/topology");
            // Edges whose traffic stopped leave the graph (instead of staying grey): that is how the mesh shrinks.
            var hideIdle = page.GetByLabel("Hide idle");
            await hideIdle.CheckAsync(new LocatorCheckOptions { Force = true });
            await Assertions.Expect(hideIdle).ToBeCheckedAsync();

            await ExpectDrawnAsync(page, FewCallers, "canvas");
            synthetic.Callers = Services;
            await ExpectDrawnAsync(page, Services, "webgl");
            synthetic.Callers = FewCallers;
            await ExpectDrawnAsync(page, FewCallers, "canvas");
            await mesh.ScreenshotAsync(page, "topology-renderer-01-canvas-again");
        }
        catch (Exception failure)
        {
            throw await mesh.JourneyFailedAsync(page, "topology-renderer", failure, "console errors: " + string.Join(" | ", consoleErrors));
        }
    }

    /// <summary>
    /// Waits until the graph has the edges of the first <paramref name="callers"/> services and says it is drawn by
    /// <paramref name="renderer"/>, then checks that Cytoscape really draws with that renderer (a WebGL 2 context or
    /// none) and that the drawn edges are exactly the mesh's, between the right versions, each with its traffic label.
    /// </summary>
    private async Task ExpectDrawnAsync(IPage page, int callers, string renderer)
    {
        var expected = Enumerable.Range(0, callers)
            .SelectMany(i => synthetic.Callees(i).Select(j => $"{EdgeId(i, j)} {VersionId(i)} {VersionId(j)}"))
            .Order(StringComparer.Ordinal).ToArray();
        await page.WaitForFunctionAsync($"([edges, renderer]) => Number({Graph}?.dataset.edges) === edges && {Graph}.dataset.renderer === renderer",
            new object[] { expected.Length, renderer }, new PageWaitForFunctionOptions { Timeout = WaitMs, PollingInterval = 500 });

        var drawn = await page.EvaluateAsync<JsonElement>($$"""
            () => {
                const graph = {{Graph}}.meshworkGraph;
                const r = graph.cy.renderer();
                return {
                    webgl: r.data.contexts?.[r.WEBGL] instanceof WebGL2RenderingContext,
                    edges: graph.cy.edges().map(e => `${e.id()} ${e.source().id()} ${e.target().id()}`).sort(),
                    unlabelled: graph.cy.edges().filter(e => !/rps/.test(graph.labelOf(e.id()))).map(e => e.id()),
                    hidden: graph.cy.edges().filter(e => !e.visible()).map(e => e.id()),
                };
            }
            """);
        output.WriteLine($"{callers} callers: {expected.Length} edges, drawn by {renderer}");
        Assert.Equal(renderer == "webgl", drawn.GetProperty("webgl").GetBoolean());
        Assert.Equal(expected, drawn.GetProperty("edges").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal).ToArray());
        Assert.Empty(drawn.GetProperty("unlabelled").EnumerateArray());
        Assert.Empty(drawn.GetProperty("hidden").EnumerateArray());
    }

    private static string VersionId(int service) => $"ver:default/{SyntheticMesh.Name(service)}/v1";

    private static string EdgeId(int source, int target) => $"edge:default/{SyntheticMesh.Name(source)}/v1->default/{SyntheticMesh.Name(target)}/v1";
}
