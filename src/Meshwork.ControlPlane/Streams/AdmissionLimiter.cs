using Meshwork.ControlPlane.Configuration;
using Microsoft.Extensions.Options;

namespace Meshwork.ControlPlane.Streams;

/// <summary>
/// Token bucket on new proxy streams. After a control plane restart every proxy reconnects at
/// once; admitting them at a bounded rate (and telling the rest when to come back) keeps the
/// compile and certificate work from collapsing the process.
/// </summary>
public sealed class AdmissionLimiter(IOptions<ControlPlaneOptions> options, TimeProvider time)
{
    private readonly Lock gate = new();
    private double tokens = Math.Max(1, options.Value.AdmissionBurst);
    private long lastRefillTicks = time.GetTimestamp();
    private double waiting;

    /// <summary>True when the stream may proceed; otherwise how long the proxy should wait before retrying.</summary>
    public bool TryAdmit(out TimeSpan retryAfter)
    {
        var rate = Math.Max(1, options.Value.AdmissionRatePerSecond);
        lock (gate)
        {
            var now = time.GetTimestamp();
            var elapsed = time.GetElapsedTime(lastRefillTicks, now).TotalSeconds;
            lastRefillTicks = now;
            tokens = Math.Min(Math.Max(1, options.Value.AdmissionBurst), tokens + elapsed * rate);
            // Rejected proxies come back; "waiting" decays at the admission rate so the hint grows
            // with the backlog and spreads the returning proxies over the time needed to admit them.
            waiting = Math.Max(0, waiting - elapsed * rate);
            if (tokens >= 1)
            {
                tokens -= 1;
                retryAfter = TimeSpan.Zero;
                return true;
            }
            // Never earlier than the next token (waiting >= 1 covers it); jitter only later, up to +50%.
            waiting += 1;
            retryAfter = TimeSpan.FromSeconds(Math.Min(30, Math.Max((1 - tokens) / rate, waiting / rate)) * (1 + 0.5 * Random.Shared.NextDouble()));
            return false;
        }
    }
}
