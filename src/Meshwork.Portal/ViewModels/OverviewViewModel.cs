using Meshwork.Portal.Live;
using Meshwork.Store;
using Meshwork.Store.Signals;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// The Overview's stored data: the golden-signal history of the chosen window, the newest audit
/// entries and the health thresholds. The live figures come from <see cref="MeshHealth"/>.
/// </summary>
public sealed class OverviewViewModel(IServiceScopeFactory scopes, SignalHistoryStore history, TopologyThresholds thresholds, TimeProvider time)
    : LoadState
{
    public const int RecentChangeCount = 8;

    public HistoryWindow Window { get; private set; } = HistoryWindow.OneHour;
    public IReadOnlyList<GoldenSignalPoint> History { get; private set; } = [];
    public IReadOnlyList<AuditEntry> RecentChanges { get; private set; } = [];
    public HealthThresholds Thresholds { get; private set; } = HealthThresholds.Default;

    public Task LoadAsync() => RunLoadAsync(async () =>
    {
        await using var scope = scopes.CreateAsyncScope();
        RecentChanges = await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Take = RecentChangeCount });
        Thresholds = await thresholds.CurrentAsync();
        History = await GoldenSignalHistory.LoadAsync(history, Window, time.GetUtcNow());
    }, "the overview");

    /// <summary>Set when re-reading the history failed; the charts keep their last points.</summary>
    public string? HistoryError { get; private set; }

    /// <summary>
    /// Re-reads the history only (the control plane saves its rollups every few seconds), without the
    /// page's loading state, so live charts do not flicker.
    /// </summary>
    public async Task RefreshHistoryAsync()
    {
        try
        {
            History = await GoldenSignalHistory.LoadAsync(history, Window, time.GetUtcNow());
            HistoryError = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            HistoryError = $"Could not load the golden-signal history: {e.Message}";
        }
    }

    public Task SelectWindowAsync(HistoryWindow window)
    {
        Window = window;
        return RefreshHistoryAsync();
    }
}
