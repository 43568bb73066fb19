using Meshwork.Portal.Live;
using Meshwork.Store;
using Meshwork.Store.Signals;

namespace Meshwork.Portal.ViewModels;

/// <summary>
/// The Overview's stored data: the mesh's golden-signal history of the chosen window, the newest audit
/// entries and the health thresholds. The live figures come from <see cref="MeshHealth"/>.
/// </summary>
public sealed class OverviewViewModel(IServiceScopeFactory scopes, SignalHistoryStore history, TopologyThresholds thresholds, TimeProvider time)
    : LoadState
{
    public const int RecentChangeCount = 8;

    public SignalHistoryView History { get; } = new(window => GoldenSignalHistory.LoadAsync(history, window, time.GetUtcNow()));
    public IReadOnlyList<AuditEntry> RecentChanges { get; private set; } = [];
    public HealthThresholds Thresholds { get; private set; } = HealthThresholds.Default;

    public Task LoadAsync() => RunLoadAsync(async () =>
    {
        await using var scope = scopes.CreateAsyncScope();
        RecentChanges = await scope.ServiceProvider.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Take = RecentChangeCount });
        Thresholds = await thresholds.CurrentAsync();
        await History.LoadAsync();
    }, "the overview");
}
