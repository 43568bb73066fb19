namespace Meshwork.DemoApps.Backend;

/// <summary>Settings of a demo service (section "Demo", e.g. --Demo:Service reviews --Demo:ErrorRate 0.1).</summary>
public sealed class BackendOptions
{
    public string Service { get; set; } = "demo";
    public string Version { get; set; } = "v1";
    public string Instance { get; set; } = Environment.MachineName + "-" + Environment.ProcessId;

    /// <summary>Added to every response (not /health).</summary>
    public int LatencyMs { get; set; }

    /// <summary>Share of requests answered with <see cref="ErrorStatus"/>: 0..1, spread evenly (see <see cref="BackendState"/>).</summary>
    public double ErrorRate { get; set; }

    public int ErrorStatus { get; set; } = 503;

    /// <summary>When > 0, respond with this many bytes of text instead of the JSON echo (benchmarks).</summary>
    public int BodyBytes { get; set; }

    public bool Healthy { get; set; } = true;
}
