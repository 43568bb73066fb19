namespace Meshwork.Proxy.ControlPlane;

/// <summary>
/// Exponential backoff with jitter (each wait is 50–100% of the current step), so a fleet that
/// lost its control plane at the same instant does not come back at the same instant.
/// A retry-after hint from the control plane's admission limit is a floor.
/// </summary>
public sealed class ReconnectBackoff(TimeSpan initial, TimeSpan max)
{
    private int failures;

    public void Reset() => failures = 0;

    public TimeSpan Next(TimeSpan? retryAfter = null)
    {
        var step = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20)));
        failures++;
        var wait = step * (0.5 + 0.5 * Random.Shared.NextDouble());
        if (retryAfter is { } hint && hint.TotalMilliseconds > wait)
            wait = hint.TotalMilliseconds * (1 + 0.2 * Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(wait);
    }
}
