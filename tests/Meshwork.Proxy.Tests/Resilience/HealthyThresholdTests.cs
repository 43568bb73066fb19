using Meshwork.Model.Resources;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Waiting;

namespace Meshwork.Proxy.Tests.Resilience;

/// <summary>Active health checks: an unhealthy endpoint returns only after healthyThreshold consecutive passes.</summary>
public sealed class HealthyThresholdTests
{
    private const int HealthyThreshold = 3;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task HealthyThreshold_RecoveredEndpoint_ReadmittedOnlyAfterThresholdPasses()
    {
        await using var backend = await ScriptedBackend.StartAsync("checked-1");
        await using var sidecar = await PlainSidecar.StartAsync("proxy-health",
        [
            // No versions, so one cluster (no "checked.default|v1") probes the backend: the probes the
            // test answers are then one cluster's sequence.
            new Service { Metadata = new ResourceMetadata { Name = "checked" } },
            new ResiliencePolicy
            {
                Metadata = new ResourceMetadata { Name = "checked" },
                Service = "checked",
                HealthCheck = new ActiveHealthCheck
                {
                    // Each gated probe is answered only after the test has read /stats; under load that read took over
                    // a second, the probe timed out, and the timeout counted as a failed probe. 5 s leaves room for it.
                    Path = "/health", Interval = ProbeTimeout, Timeout = ProbeTimeout,
                    UnhealthyThreshold = 1, HealthyThreshold = HealthyThreshold,
                },
            },
        ], ("checked", backend));

        backend.SetHealthy(false);
        await Eventually.HoldsAsync(async () => await ActiveHealthAsync(sidecar) == "Unhealthy", "the endpoint marked unhealthy", TimeSpan.FromSeconds(60));

        // From here each probe waits for the test's verdict. YARP starts the next probe only after it
        // has applied the previous result, so when probe n+1 arrives the health shown reflects probe n.
        backend.GateProbes(true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        for (var passes = 0; passes < HealthyThreshold; passes++)
        {
            var probe = await backend.NextProbeAsync(timeout.Token);
            Assert.Equal("Unhealthy", await ActiveHealthAsync(sidecar));
            probe.Answer.SetResult(true);
        }
        var next = await backend.NextProbeAsync(timeout.Token);
        Assert.Equal("Healthy", await ActiveHealthAsync(sidecar));
        backend.SetHealthy(true);
        backend.GateProbes(false);
        next.Answer.SetResult(true);
    }

    private static async Task<string?> ActiveHealthAsync(PlainSidecar sidecar)
    {
        var stats = await sidecar.Proxy.StatsAsync();
        var cluster = stats.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "checked.default");
        return cluster.GetProperty("endpoints").EnumerateArray().Single().GetProperty("active").GetString();
    }
}
