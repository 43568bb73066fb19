using Bunit;
using Meshwork.Portal.Components.Shared;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using MudBlazor.Services;

namespace Meshwork.Portal.Tests.Components;

/// <summary>The topology's side panel of a version: its TCP route callers and calls with open connections, rates and refusals.</summary>
public sealed class TopologyNodePanelTests : BunitContext
{
    public TopologyNodePanelTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private static TcpEdgeSignals Tcp(string from, string to, ulong active, double inBytes, double outBytes, ulong denied = 0) => new()
    {
        SourceService = from, SourceNamespace = "default", SourceVersion = "v1",
        DestinationService = to, DestinationNamespace = "default", DestinationVersion = "v1",
        WindowSeconds = 10, Active = active, ConnectionsPerSecond = 0.5, Opened = 5,
        ReceivedBytesPerSecond = inBytes, SentBytesPerSecond = outBytes, Denied = denied,
    };

    [Fact]
    public void Version_ShowsItsTcpCallersAndCalls()
    {
        var snapshot = new MeshStatusSnapshot(LiveConnection.Connected, "cp", null, DateTimeOffset.UtcNow, 1, [], [], [], [], [])
        {
            TcpEdges = [Tcp("web", "orders", 3, 1_500, 2_500_000), Tcp("orders", "db", 1, 200, 40, denied: 2), Tcp("web", "cart", 9, 1, 1)],
        };

        var panel = Render<TopologyNodePanel>(p => p.Add(x => x.NodeId, "ver:default/orders/v1").Add(x => x.Snapshot, snapshot));

        var tables = panel.FindAll("[data-testid=topology-panel-tcp]");
        Assert.Equal(2, tables.Count);
        var rows = tables.Select(t => string.Join(" | ", t.QuerySelectorAll("tbody td").Select(td => td.TextContent.Trim()))).ToList();
        Assert.Equal(["web v1 | 3 | 0.5 | 1.5 kB/s | 2.5 MB/s | 0", "db v1 | 1 | 0.5 | 200 B/s | 40 B/s | 2"], rows);
        Assert.DoesNotContain("cart", panel.Markup);
    }
}
