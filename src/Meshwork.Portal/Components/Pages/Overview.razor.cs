using Meshwork.Portal.ViewModels;
using Meshwork.Protocol.Stats;
using Meshwork.Protocol.Status;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Meshwork.Portal.Components.Pages;

/// <summary>
/// Mesh health at a glance: services by health, the fleet's sync, the worst edges and the mesh's
/// golden signals live from the control plane; charts of the stored one-minute history for the chosen
/// window, re-read while the live status moves; the newest audit entries, re-read on every change.
/// </summary>
public partial class Overview
{
    /// <summary>The control plane saves rollups every 10 s by default: re-reading more often shows nothing new.</summary>
    private static readonly TimeSpan HistoryRefresh = TimeSpan.FromSeconds(5);

    private static readonly (string Title, string TestId, string Unit, Func<GoldenSignalPoint, double> Value)[] Charts =
    [
        ("Request rate", "chart-rps", "req/s", p => p.RequestsPerSecond),
        ("Error rate", "chart-errors", "%", p => p.ErrorPercent),
        ("p99 latency", "chart-p99", "ms", p => p.P99Ms),
    ];

    private IDisposable? historySubscription;

    [Inject] public required OverviewViewModel Model { get; init; }

    protected override async Task OnInitializedAsync()
    {
        historySubscription = Live.Subscribe(_ => InvokeAsync(async () =>
        {
            await Model.RefreshHistoryAsync();
            StateHasChanged();
        }), HistoryRefresh);
        await Model.LoadAsync();
    }

    protected override Task OnResourcesChangedAsync() => Model.LoadAsync();

    private async Task SelectWindowAsync(HistoryWindow window) => await Model.SelectWindowAsync(window);

    private IReadOnlyList<ServiceHealth> Services => MeshHealth.Services(Snapshot.ServiceVersions, Model.Thresholds);

    private IReadOnlyList<FailingEdge> FailingEdges => MeshHealth.TopFailingEdges(Snapshot.Edges, Model.Thresholds);

    private FleetSync Fleet => MeshHealth.Fleet(Snapshot.Proxies);

    private GoldenSignals MeshSignals => GoldenSignalsMerge.Merge(Snapshot.ServiceVersions.Select(v => v.Signals ?? new GoldenSignals()).ToList());

    private double MeshRps => Snapshot.ServiceVersions.Sum(v => v.Signals?.Rps ?? 0);

    private double MeshErrorPercent => MeshSignals is { Requests: > 0 } signals ? 100.0 * signals.Failures / signals.Requests : 0;

    private int SignalWindowSeconds => Math.Max(MeshSignals.WindowSeconds, 1);

    private int Count(TrafficHealth health) => Services.Count(s => s.Health == health);

    private GoldenSignalPoint Latest => Model.History.Count > 0 ? Model.History[^1] : new GoldenSignalPoint(default, 0, 0, 0);

    /// <summary>About six time labels per chart: a label on each of 60 or 96 points would overlap.</summary>
    private string[] Labels => Model.History
        .Select((p, i) => i % Math.Max(1, Model.History.Count / 6) == 0 ? p.Start.ToString("HH:mm") : "")
        .ToArray();

    private List<ChartSeries<double>> Series(string title, Func<GoldenSignalPoint, double> value) =>
        [new ChartSeries<double> { Name = title, Data = Model.History.Select(value).ToArray() }];

    private static string Percent(double share) => $"{share * 100:0.##} %";

    private static string Behind(ProxyStatus proxy) => proxy.LastNack is { } nack && nack.Version >= proxy.AckedVersion
        ? $"rejected v{nack.Version}"
        : $"on v{proxy.AckedVersion} of v{proxy.SentVersion}";

    private static Color HealthColor(TrafficHealth health) => health switch
    {
        TrafficHealth.Healthy => Color.Success,
        TrafficHealth.Degraded => Color.Warning,
        TrafficHealth.Failing => Color.Error,
        _ => Color.Default,
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing) historySubscription?.Dispose();
        base.Dispose(disposing);
    }
}
