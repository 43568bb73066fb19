namespace Meshwork.DemoApps.Backend;

/// <summary>
/// Live, adjustable behaviour of the demo service. Errors are spread evenly rather than drawn at
/// random: with rate r, request n fails when floor(n*r) grows. Tests then get exact, repeatable
/// failure patterns (0.5 fails every second request) instead of flaky probabilities.
/// </summary>
public sealed class BackendState(BackendOptions options)
{
    private readonly Lock gate = new();
    private long requests;
    private long errors;

    public BackendOptions Options { get; } = options;

    public long Requests => Interlocked.Read(ref requests);
    public long Errors => Interlocked.Read(ref errors);

    /// <summary>Counts one request and says whether it should fail.</summary>
    public bool NextFails()
    {
        lock (gate)
        {
            var before = (long)Math.Floor(requests * Options.ErrorRate);
            requests++;
            var fails = (long)Math.Floor(requests * Options.ErrorRate) > before;
            if (fails)
                errors++;
            return fails;
        }
    }

    public void Update(double? errorRate, int? latencyMs, bool? healthy, int? errorStatus)
    {
        lock (gate)
        {
            if (errorRate is { } r)
            {
                Options.ErrorRate = Math.Clamp(r, 0, 1);
                requests = 0; // restart the pattern so the new rate applies from the next request
            }
            if (latencyMs is { } l) Options.LatencyMs = Math.Max(0, l);
            if (healthy is { } h) Options.Healthy = h;
            if (errorStatus is { } s) Options.ErrorStatus = s;
        }
    }
}
