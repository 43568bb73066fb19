namespace Meshwork.Portal.ViewModels;

/// <summary>Loading / error state shared by every page's view-model.</summary>
public abstract class LoadState
{
    public bool IsLoading { get; protected set; }
    public string? Error { get; protected set; }

    /// <summary>Runs a load, turning a failure into a message the page shows with a retry button.</summary>
    protected async Task RunLoadAsync(Func<Task> load, string what)
    {
        IsLoading = true;
        Error = null;
        try
        {
            await load();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Error = $"Could not load {what}: {e.Message}";
        }
        finally
        {
            IsLoading = false;
        }
    }
}
