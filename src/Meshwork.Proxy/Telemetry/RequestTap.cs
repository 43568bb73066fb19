using System.Threading.Channels;
using Meshwork.Protocol.Mesh;
using Meshwork.Protocol.Tap;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// The live tap of this proxy's inbound requests, started, renewed and stopped by the control plane
/// (<see cref="TapControl"/>). While no tap is on, the request path pays one volatile read. While one
/// is on, a token bucket admits at most the asked rate (never above <see cref="TapLimits.MaxSamplesPerSecond"/>, whatever the control plane asks)
/// and admitted samples go into a bounded buffer that drops (and counts) when full; the control-plane
/// client drains it in batches. A tap ends by itself when its time to live passes without a renewal.
/// </summary>
public sealed class RequestTap(TimeProvider clock)
{
    /// <summary>Samples held between two flushes; more are dropped and counted.</summary>
    public const int BufferCapacity = 64;

    /// <summary>Longest path a sample carries.</summary>
    public const int MaxPathLength = 512;

    private volatile Session? active;
    private long sampled;
    private long dropped;
    private long rateLimited;

    public long Sampled => Interlocked.Read(ref sampled);
    public long Dropped => Interlocked.Read(ref dropped);
    public long RateLimited => Interlocked.Read(ref rateLimited);

    /// <summary>The tap on now (null when none, or when the current one has expired).</summary>
    public TapInfo? Current => Live() is { } session ? new TapInfo(session.Id, session.Rate) : null;

    /// <summary>Applies a control message: start or renew (same id keeps its bucket), or stop.</summary>
    public void Apply(TapControl control)
    {
        if (control.Stop)
        {
            Stop(control.TapId);
            return;
        }
        var rate = Math.Clamp(control.MaxSamplesPerSecond, 1, TapLimits.MaxSamplesPerSecond);
        var expires = clock.GetTimestamp() + (long)(TimeSpan.FromMilliseconds(Math.Clamp(control.TtlMs, 1000, 60_000)).TotalSeconds * clock.TimestampFrequency);
        if (active is { } current && current.Id == control.TapId && current.Rate == rate)
            current.ExpiresAt = expires;
        else
            active = new Session(control.TapId, rate, expires, clock) { ReportedDropped = Dropped };
    }

    /// <summary>Ends the tap with <paramref name="tapId"/>, or whichever is on when null (the stream ended).</summary>
    public void Stop(string? tapId = null)
    {
        var current = active;
        if (current is not null && (tapId is null || current.Id == tapId))
            Interlocked.CompareExchange(ref active, null, current);
    }

    /// <summary>
    /// Called for every inbound request once its response is done. The sample (and its strings) is only
    /// made for requests the bucket admits.
    /// </summary>
    public void Offer(HttpContext context, string sourceService, string sourceNamespace, string destinationService,
        string destinationNamespace, string destinationVersion, int status, TimeSpan latency)
    {
        if (active is null) return;
        var session = Live();
        if (session is null) return;
        if (!session.TryTake())
        {
            Interlocked.Increment(ref rateLimited);
            return;
        }
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var sample = new RequestSample
        {
            AtUnixMs = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            SourceService = sourceService,
            SourceNamespace = sourceNamespace,
            DestinationService = destinationService,
            DestinationNamespace = destinationNamespace,
            DestinationVersion = destinationVersion,
            Method = request.Method.Length <= 16 ? request.Method : request.Method[..16],
            // Path holds no query string; the query (tokens, ids) never leaves the proxy.
            Path = path.Length <= MaxPathLength ? path : path[..MaxPathLength],
            Status = status,
            LatencyMicros = (long)latency.TotalMicroseconds,
            TraceId = TraceId(request.Headers.TraceParent),
        };
        if (session.Buffer.Writer.TryWrite(sample)) Interlocked.Increment(ref sampled);
        else Interlocked.Increment(ref dropped);
    }

    /// <summary>Everything buffered for the current tap, with the drops since the previous call; null when no tap is on.</summary>
    public TapSamples? Drain()
    {
        var session = Live();
        if (session is null) return null;
        var batch = new TapSamples { TapId = session.Id };
        while (session.Buffer.Reader.TryRead(out var sample)) batch.Samples.Add(sample);
        var totalDropped = Dropped;
        batch.Dropped = (ulong)(totalDropped - session.ReportedDropped);
        session.ReportedDropped = totalDropped;
        return batch.Samples.Count == 0 && batch.Dropped == 0 ? null : batch;
    }

    private Session? Live()
    {
        var session = active;
        if (session is null || clock.GetTimestamp() < session.ExpiresAt) return session;
        // Not renewed in time: whoever asked for it is gone.
        Interlocked.CompareExchange(ref active, null, session);
        return null;
    }

    /// <summary>The trace id of a W3C traceparent (version-traceid-parentid-flags), or "" when it is not one.</summary>
    public static string TraceId(string? traceParent)
    {
        if (traceParent is not { Length: 55 } value || value[2] != '-' || value[35] != '-' || value[52] != '-') return "";
        var id = value.AsSpan(3, 32);
        foreach (var c in id)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return "";
        return id.ContainsAnyExcept('0') ? id.ToString() : "";
    }

    private sealed class Session(string id, int rate, long expiresAt, TimeProvider clock)
    {
        private readonly Lock gate = new();
        private double tokens = rate;
        private long refilledAt = clock.GetTimestamp();

        public string Id { get; } = id;
        public int Rate { get; } = rate;
        public long ExpiresAt { get => Volatile.Read(ref expiresAt); set => Volatile.Write(ref expiresAt, value); }
        public long ReportedDropped;

        public Channel<RequestSample> Buffer { get; } = Channel.CreateBounded<RequestSample>(
            new BoundedChannelOptions(BufferCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

        /// <summary>Token bucket: refills at Rate per second, holds at most one second's worth.</summary>
        public bool TryTake()
        {
            lock (gate)
            {
                var now = clock.GetTimestamp();
                tokens = Math.Min(Rate, tokens + (now - refilledAt) * (double)Rate / clock.TimestampFrequency);
                refilledAt = now;
                if (tokens < 1) return false;
                tokens -= 1;
                return true;
            }
        }
    }
}

public sealed record TapInfo(string TapId, int MaxSamplesPerSecond);
