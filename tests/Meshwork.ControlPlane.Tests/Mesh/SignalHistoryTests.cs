using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Model.Resources;
using Meshwork.Store.Signals;
using Meshwork.Testing.Waiting;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>
/// One-minute rollups from real proxy traffic land in PostgreSQL, survive a control plane crash
/// without a request counted twice, and go once past retention. The control plane saves every
/// second here (ControlPlane:SignalHistoryFlushInterval), so no test waits for a minute to end.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class SignalHistoryTests(SignalHistoryMeshFixture mesh) : IClassFixture<SignalHistoryMeshFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private const string RuleHeader = "x-test-rule";
    private static readonly SignalSeries OrdersV2 = SignalSeries.ServiceVersion("orders", "default", "v2");
    private static readonly SignalSeries WebToOrdersV2 = new(SignalSeriesKind.Edge, "web", "default", "v1", "orders", "default", "v2");

    [Fact]
    public async Task Rollups_OfRealTraffic_AreSavedPerMinuteAndSurviveACrashWithoutCountingTwice()
    {
        using var client = mesh.Web.OutboundClient();
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v2"));
        // Every request orders v2 served is counted here, the ones made while the route converges included.
        var served = await SendUntilServedInARowAsync(client, "orders-v2-a", streak: 10) + await CountServedAsync(client, "orders-v2-a", 40);
        await Eventually.HoldsAsync(async () => await TotalAsync(OrdersV2) == served && await TotalAsync(WebToOrdersV2) == served,
            $"{served} requests to orders v2 saved for the version and the web -> orders v2 edge", Generous);
        var before = await RowsAsync();
        Assert.All(before, row => Assert.Equal(0, row.Minute.Second + row.Minute.Millisecond));

        await mesh.ControlPlane.KillAsync();
        await mesh.ControlPlane.StartAsync();
        await using (var status = new StatusWatcher(mesh.ControlPlane))
            foreach (var proxy in mesh.Proxies)
                await status.WaitUntilAsync(s => s.Proxy(proxy.Id) is { Connected: true }, Generous, $"{proxy.Id} reconnected");
        var servedAfter = await CountServedAsync(client, "orders-v2-a", 30);

        await Eventually.HoldsAsync(async () => await TotalAsync(OrdersV2) == served + servedAfter,
            $"{served} + {servedAfter} requests to orders v2 saved after the restart", Generous);
        var writers = (await RowsAsync()).Where(row => row.Series == OrdersV2).GroupBy(row => row.Writer).ToList();
        Assert.Equal(2, writers.Count);
        Assert.Equal(served, writers.Single(w => w.Key == before.First(row => row.Series == OrdersV2).Writer).Sum(row => row.Requests));
        Assert.Equal(served + servedAfter, await TotalAsync(OrdersV2));
    }

    [Fact]
    public async Task Rollups_OfRealTrafficThroughARoute_AreSavedPerRuleWithItsFailures()
    {
        // Rule names of their own, so traffic other tests send through the orders route is not counted here.
        // Every response says which rule answered: the counted rule sets a header, the aborted one is a fault.
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1") with
        {
            Rules =
            [
                new HttpRouteRule
                {
                    Name = "aborted",
                    Matches = [new HttpRouteMatch { Path = new PathMatch { Value = "/aborted" } }],
                    Fault = new FaultInjection { Abort = new FaultAbort { HttpStatus = 503 } },
                    BackendRefs = [new BackendRef { Service = "orders", Version = "v1" }],
                },
                new HttpRouteRule
                {
                    Name = "counted",
                    Filters = [new HttpRouteFilter
                    {
                        Type = HttpRouteFilterType.ResponseHeaderModifier,
                        ResponseHeaderModifier = new HeaderModifier { Set = [new HttpHeader { Name = RuleHeader, Value = "counted" }] },
                    }],
                    BackendRefs = [new BackendRef { Service = "orders", Version = "v1" }],
                },
            ],
        });
        using var client = mesh.Web.OutboundClient();
        long counted = 0, aborted = 0;
        var deadline = DateTime.UtcNow + Generous;
        while (counted < 20 || aborted < 10)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the web proxy never routed by the new rules ({counted} counted, {aborted} aborted)");
            if (await AnsweredByAsync(client, "http://orders/") == "counted") counted++;
            if (await AnsweredByAsync(client, "http://orders/aborted") == "aborted") aborted++;
        }

        await Eventually.HoldsAsync(async () =>
                await TotalAsync(SignalSeries.Route("default", "orders", "counted")) == counted &&
                await TotalAsync(SignalSeries.Route("default", "orders", "aborted")) == aborted,
            $"{counted} requests saved for rule default/orders/counted and {aborted} for default/orders/aborted", Generous);
        var store = new SignalHistoryStore(NpgsqlDataSource.Create(mesh.ConnectionString));
        var rules = (await store.ReadRouteAsync("default", "orders", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1), default))
            .GroupBy(rollup => rollup.Series.DestinationVersion)
            .ToDictionary(rule => rule.Key, rule => (Requests: rule.Sum(r => r.Requests), Failures: rule.Sum(r => r.Failures)));
        Assert.Equal((counted, 0L), rules["counted"]);
        Assert.Equal((aborted, aborted), rules["aborted"]);
    }

    [Fact]
    public async Task Rollups_PastRetention_AreDeletedByTheLeaderAndNewerOnesStay()
    {
        var store = new SignalHistoryStore(NpgsqlDataSource.Create(mesh.ConnectionString));
        var now = DateTimeOffset.UtcNow;
        var series = SignalSeries.ServiceVersion("retired", "default", "v1");
        await store.SaveAsync("an-old-replica/1", [new SignalRollup(now.AddHours(-3), series, 5, 0, []), new SignalRollup(now.AddMinutes(-30), series, 7, 0, [])], default);

        await Eventually.HoldsAsync(async () => (await RowsAsync()).Count(row => row.Series == series) == 1,
            "the rollup from 3 hours ago pruned (retention 2 hours)", Generous);
        var left = (await RowsAsync()).Single(row => row.Series == series);
        Assert.Equal(7, left.Requests);
    }

    [Fact]
    public async Task ControlPlane_WithARetentionShorterThanTheChartsNeed_RefusesToStartAndSaysWhy()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ControlPlaneProcess.StartAsync(mesh.ConnectionString,
            new Dictionary<string, string> { ["ControlPlane__SignalHistoryRetention"] = "00:10:00" }));
        Assert.Contains("ControlPlane:SignalHistoryRetention must be at least 1 hour", error.Message);
    }

    private async Task<long> TotalAsync(SignalSeries series) => (await RowsAsync()).Where(row => row.Series == series).Sum(row => row.Requests);

    private async Task<List<(DateTimeOffset Minute, SignalSeries Series, string Writer, long Requests)>> RowsAsync()
    {
        await using var connection = new NpgsqlConnection(mesh.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT minute, kind, source_service, source_namespace, source_version, destination_service, destination_namespace,
                destination_version, writer, requests FROM signal_rollups
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(DateTimeOffset, SignalSeries, string, long)>();
        while (await reader.ReadAsync())
        {
            var kind = reader.GetString(1) switch
            {
                "edge" => SignalSeriesKind.Edge,
                "route" => SignalSeriesKind.Route,
                _ => SignalSeriesKind.ServiceVersion,
            };
            rows.Add((reader.GetFieldValue<DateTimeOffset>(0), new SignalSeries(kind, reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.GetString(7)), reader.GetString(8), reader.GetInt64(9)));
        }
        return rows;
    }

    /// <summary>Sends requests until <paramref name="streak"/> in a row are served by <paramref name="instance"/>; returns how many it served.</summary>
    private static async Task<long> SendUntilServedInARowAsync(HttpClient client, string instance, int streak)
    {
        long servedBy = 0;
        var inARow = 0;
        var deadline = DateTime.UtcNow + Generous;
        while (inARow < streak)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"orders never served by {instance} {streak} times in a row");
            var served = await ServedByAsync(client) == instance;
            servedBy += served ? 1 : 0;
            inARow = served ? inARow + 1 : 0;
        }
        return servedBy;
    }

    private static async Task<long> CountServedAsync(HttpClient client, string instance, int requests)
    {
        long servedBy = 0;
        for (var i = 0; i < requests; i++)
            if (await ServedByAsync(client) == instance) servedBy++;
        return servedBy;
    }

    /// <summary>Which of the test route's rules answered: "counted", "aborted" or "" (another rule, or no answer).</summary>
    private static async Task<string> AnsweredByAsync(HttpClient client, string url)
    {
        try
        {
            using var response = await client.GetAsync(url);
            if (response.Headers.TryGetValues(RuleHeader, out var rule)) return rule.Single();
            return response.Headers.Contains("x-meshwork-fault") ? "aborted" : "";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return "";
        }
    }

    private static async Task<string> ServedByAsync(HttpClient client)
    {
        try
        {
            return await MeshFixture.ServedByAsync(client);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return ex.GetBaseException().Message;
        }
    }
}

/// <summary>The real mesh with its control plane saving rollups every second and keeping them 2 hours.</summary>
public sealed class SignalHistoryMeshFixture : MeshFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["ControlPlane__SignalHistoryFlushInterval"] = "00:00:01",
        ["ControlPlane__SignalHistoryRetention"] = "02:00:00",
    };
}
