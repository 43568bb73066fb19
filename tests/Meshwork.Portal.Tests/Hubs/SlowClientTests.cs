using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Meshwork.Portal.Hubs;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Hubs;

/// <summary>
/// A client that stops reading /hubs/mesh: spoken to as raw SignalR long polling (negotiate, handshake and
/// stream invocation posted, then no poll for a while), so nothing on the client side drains the server.
/// </summary>
public sealed class SlowClientTests : IClassFixture<MeshHubTests.Portal>
{
    private const char RecordSeparator = '\u001e';
    private const int Services = 600;
    private const int StalledChanges = 6;
    private readonly MeshHubTests.Portal portal;
    private readonly MeshLiveData live;

    public SlowClientTests(MeshHubTests.Portal portal)
    {
        this.portal = portal;
        live = portal.Services.GetRequiredService<MeshLiveData>();
    }

    /// <summary>web calls each of <see cref="Services"/> services, <paramref name="requests"/> requests each: a graph whose every message is far over 64 kB.</summary>
    private static StatusUpdate Mesh(ulong requests)
    {
        var update = new StatusUpdate { FullState = true, HasSignals = true, AtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        for (var i = 0; i < Services; i++)
        {
            update.Edges.Add(new EdgeSignals
            {
                SourceService = "web", SourceNamespace = "default", SourceVersion = "v1",
                DestinationService = $"svc-{i:D3}", DestinationNamespace = "default", DestinationVersion = "v1",
                Signals = new GoldenSignals { Requests = requests, Rps = requests / 10.0, SuccessRate = 1, WindowSeconds = 10 },
            });
        }
        return update;
    }

    [Fact]
    public async Task Topology_ClientStopsReading_ServerSkipsToTheLatestStateInsteadOfQueueing()
    {
        live.Apply(MeshHubTests.ControlPlane, Mesh(10));
        var session = await HubSession.NewViewerAsync(portal);
        using var http = portal.CreateDefaultClient();
        http.DefaultRequestHeaders.Add("Cookie", session.CookieHeader);

        using var negotiate = await http.PostAsync($"{MeshHub.Path}/negotiate?negotiateVersion=1", null);
        negotiate.EnsureSuccessStatusCode();
        var token = (await negotiate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("connectionToken").GetString();
        var url = $"{MeshHub.Path}?id={Uri.EscapeDataString(token!)}";
        (await http.GetAsync(url)).EnsureSuccessStatusCode(); // the first poll starts the connection and returns at once
        using var invoke = await http.PostAsync(url, new StringContent(
            "{\"protocol\":\"json\",\"version\":1}" + RecordSeparator
            + "{\"type\":4,\"invocationId\":\"1\",\"target\":\"Topology\",\"arguments\":[null]}" + RecordSeparator, Encoding.UTF8));
        invoke.EnsureSuccessStatusCode();

        // The client reads nothing while the mesh changes every 1.1 s: more than the hub's once-a-second pace, so a
        // server that queued would hold one delta per change.
        for (ulong change = 1; change <= StalledChanges; change++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1100));
            live.Apply(MeshHubTests.ControlPlane, Mesh(100 * change));
        }
        var latestLabel = $"{StalledChanges * 10} rps";

        // Reading again: what the server held fits its transport buffer (64 kB) plus the one message being written,
        // and what follows is at most one or two deltas that bring the client to the latest state.
        var items = new List<JsonElement>();
        var firstPollBytes = -1;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!items.Any(i => HasLabel(i, latestLabel)))
        {
            var body = await http.GetStringAsync(url, timeout.Token);
            if (firstPollBytes < 0)
                firstPollBytes = Encoding.UTF8.GetByteCount(body);
            items.AddRange(body.Split(RecordSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(m => JsonDocument.Parse(m).RootElement)
                .Where(m => m.TryGetProperty("type", out var type) && type.GetInt32() == 2)
                .Select(m => m.GetProperty("item")));
        }
        var snapshotBytes = Encoding.UTF8.GetByteCount(items[0].GetRawText());
        Assert.True(items[0].GetProperty("isSnapshot").GetBoolean());
        Assert.True(snapshotBytes > 64 * 1024, $"the snapshot ({snapshotBytes} bytes) must not fit the transport buffer for this test to stall the server");
        Assert.True(firstPollBytes <= 64 * 1024 + 2 * snapshotBytes, $"the server held {firstPollBytes} bytes for a client that read nothing");
        Assert.True(items.Count <= 3, $"{StalledChanges} changes while the client read nothing arrived as {items.Count - 1} deltas, not skipped to the latest");
        Assert.Equal(items.Count, items[^1].GetProperty("sequence").GetInt64()); // nothing lost between them: each one a diff against the one before
    }

    private static bool HasLabel(JsonElement item, string labelStart) =>
        item.GetProperty("added").EnumerateArray().Select(e => e.GetProperty("data").GetProperty("label").GetString())
            .Concat(item.GetProperty("changed").EnumerateArray().Select(c => c.TryGetProperty("label", out var label) ? label.GetString() : null))
            .Any(label => label?.StartsWith(labelStart, StringComparison.Ordinal) == true);
}
