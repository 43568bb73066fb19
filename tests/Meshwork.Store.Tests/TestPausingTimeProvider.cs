namespace Meshwork.Store.Tests;

/// <summary>
/// Real time, except that the first read of the clock blocks until released. ResourceService reads
/// the clock after planning a change and before writing it, so a test can slip a concurrent write
/// into exactly that gap.
/// </summary>
internal sealed class TestPausingTimeProvider : TimeProvider, IDisposable
{
    private int paused;

    public ManualResetEventSlim Reached { get; } = new();
    public ManualResetEventSlim Release { get; } = new();

    public override DateTimeOffset GetUtcNow()
    {
        if (Interlocked.Exchange(ref paused, 1) == 0)
        {
            Reached.Set();
            Release.Wait(TimeSpan.FromSeconds(30));
        }
        return base.GetUtcNow();
    }

    public void Dispose()
    {
        Reached.Dispose();
        Release.Dispose();
    }
}
