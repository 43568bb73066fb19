namespace Meshwork.Portal.ViewModels;

/// <summary>
/// The state of a golden-signal history chart: the chosen window, its points and the last read's
/// error. Re-reading keeps the last points on failure (live charts neither flicker nor blank).
/// </summary>
public sealed class SignalHistoryView(Func<HistoryWindow, Task<IReadOnlyList<GoldenSignalPoint>>> load)
{
    /// <summary>How often a page re-reads: the control plane saves rollups every 10 s by default, more often shows nothing new.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    public HistoryWindow Window { get; private set; } = HistoryWindow.OneHour;
    public IReadOnlyList<GoldenSignalPoint> History { get; private set; } = [];

    /// <summary>Set when re-reading the history failed; the charts keep their last points.</summary>
    public string? Error { get; private set; }

    /// <summary>Reads the window's points; a failure propagates (the page's first load reports it).</summary>
    public async Task LoadAsync()
    {
        History = await load(Window);
        Error = null;
    }

    /// <summary>Re-reads the points (the control plane saves its rollups every few seconds); a failure is kept in <see cref="Error"/>.</summary>
    public async Task RefreshAsync()
    {
        try
        {
            await LoadAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Error = $"Could not load the golden-signal history: {e.Message}";
        }
    }

    public Task SelectWindowAsync(HistoryWindow window)
    {
        Window = window;
        return RefreshAsync();
    }
}
