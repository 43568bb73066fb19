namespace Meshwork.Testing.Processes;

/// <summary>
/// Starts several processes at once, all or none. When one start fails, Task.WhenAll throws and the
/// processes that did start are never assigned to the fixture, so its DisposeAsync cannot stop them:
/// they would outlive the test run, holding ports the next fixture then cannot bind. They are
/// stopped here before the failure is rethrown.
/// </summary>
public static class StartTogether
{
    public static async Task<T[]> AllOrNoneAsync<T>(params Task<T>[] starts) where T : IAsyncDisposable
    {
        try
        {
            return await Task.WhenAll(starts);
        }
        catch
        {
            await Task.WhenAll(starts.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result.DisposeAsync().AsTask()));
            throw;
        }
    }
}
