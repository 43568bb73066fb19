namespace Meshwork.Proxy.ControlPlane;

/// <summary>
/// Exponential backoff with jitter (each wait is 50–100% of the current step), so a fleet that
/// lost its control plane at the same instant does not come back at the same instant.
/// A retry-after hint from the control plane's admission limit replaces the step and does not
/// grow it: the hint already spreads the returning fleet over the time the control plane needs,
/// and escalating on top would leave proxies idle long after it is ready for them.
/// </summary>
public sealed class ReconnectBackoff(TimeSpan initial, TimeSpan max)
{
    private int failures;

    public void Reset() => failures = 0;

    public TimeSpan Next(TimeSpan? retryAfter = null)
    {
        if (retryAfter is { } hint)
            return TimeSpan.FromMilliseconds(Math.Max(50, hint.TotalMilliseconds) * (1 + 0.25 * Random.Shared.NextDouble()));
        var step = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20)));
        failures++;
        return TimeSpan.FromMilliseconds(step * (0.5 + 0.5 * Random.Shared.NextDouble()));
    }
}
