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
    private IDisposable? historySubscription;

    [Inject] public required OverviewViewModel Model { get; init; }

    protected override async Task OnInitializedAsync()
    {
        historySubscription = Live.Subscribe(_ => InvokeAsync(async () =>
        {
            await Model.History.RefreshAsync();
            StateHasChanged();
        }), SignalHistoryView.RefreshInterval);
        await Model.LoadAsync();
    }

    protected override Task OnResourcesChangedAsync() => Model.LoadAsync();

    private async Task SelectWindowAsync(HistoryWindow window) => await Model.History.SelectWindowAsync(window);

    private IReadOnlyList<ServiceHealth> Services => MeshHealth.Services(Snapshot.ServiceVersions, Model.Thresholds);

    private IReadOnlyList<FailingEdge> FailingEdges => MeshHealth.TopFailingEdges(Snapshot.Edges, Model.Thresholds);

    private FleetSync Fleet => MeshHealth.Fleet(Snapshot.Proxies);

    private GoldenSignals MeshSignals => GoldenSignalsMerge.Merge(Snapshot.ServiceVersions.Select(v => v.Signals ?? new GoldenSignals()).ToList());

    private double MeshRps => Snapshot.ServiceVersions.Sum(v => v.Signals?.Rps ?? 0);

    private double MeshErrorPercent => MeshSignals is { Requests: > 0 } signals ? 100.0 * signals.Failures / signals.Requests : 0;

    private int SignalWindowSeconds => Math.Max(MeshSignals.WindowSeconds, 1);

    private int Count(TrafficHealth health) => Services.Count(s => s.Health == health);

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
