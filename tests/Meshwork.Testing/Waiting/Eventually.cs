namespace Meshwork.Testing.Waiting;

/// <summary>
/// Polling for something another process does in its own time (a health probe, a mirrored request,
/// a connection slot). Fails with what was awaited when it does not happen within the patience,
/// so a broken feature shows as a clear timeout rather than a hang.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? DefaultPatience);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"never happened: {what}");
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Waits until <paramref name="probe"/> returns a value, and returns it.</summary>
    public static async Task<T> ValueAsync<T>(Func<T?> probe, string what, TimeSpan? patience = null) where T : class
    {
        T? value = null;
        await HoldsAsync(() => Task.FromResult((value = probe()) is not null), what, patience);
        return value!;
    }
}
