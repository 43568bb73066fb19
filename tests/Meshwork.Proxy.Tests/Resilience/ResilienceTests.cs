using System.Net;
using System.Text.Json;
using Meshwork.Proxy.Tests.Infrastructure;

namespace Meshwork.Proxy.Tests.Resilience;

[Collection(MeshCollection.Name)]
public sealed class ResilienceTests(MeshFixture mesh)
{
    private static JsonElement Cluster(JsonElement stats, string name) =>
        stats.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Retries_EverySecondAttemptFails_AllRequestsSucceed()
    {
        await mesh.Flaky.SetErrorRateAsync(0.5);
        try
        {
            var before = await mesh.Flaky.RequestCountAsync();
            for (var i = 0; i < 40; i++)
            {
                using var response = await mesh.Outbound.GetAsync("http://flaky/work");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            // Half the attempts failed, so the backend saw about two attempts per request.
            Assert.InRange(await mesh.Flaky.RequestCountAsync() - before, 70, 90);
            Assert.True(Cluster(await mesh.Web.StatsAsync(), "flaky.default").GetProperty("retries").GetInt64() >= 30);
        }
        finally
        {
            await mesh.Flaky.SetErrorRateAsync(0);
        }
    }

    [Fact]
    public async Task RetryBudget_BackendAlwaysFails_CapsRetryAmplification()
    {
        await mesh.Flaky.SetErrorRateAsync(1);
        try
        {
            const int requests = 200;
            var before = await mesh.Flaky.RequestCountAsync();
            await Parallel.ForEachAsync(Enumerable.Range(0, requests), new ParallelOptions { MaxDegreeOfParallelism = 40 }, async (_, ct) =>
            {
                using var response = await mesh.Outbound.GetAsync("http://flaky/work", ct);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            });
            // Without a budget every request makes 3 attempts (amplification 3.0). The budget
            // (20% of active requests, at least 3) lets only a few requests retry at once.
            var amplification = (await mesh.Flaky.RequestCountAsync() - before) / (double)requests;
            Assert.InRange(amplification, 1.0, 2.0);
            Assert.True(Cluster(await mesh.Web.StatsAsync(), "flaky.default").GetProperty("retryBudgetExhausted").GetInt64() > 0);
        }
        finally
        {
            await mesh.Flaky.SetErrorRateAsync(0);
        }
    }

    [Fact]
    public async Task OutlierDetection_FailingEndpoint_EjectedThenBackAfterEjectionTime()
    {
        await mesh.RatingsB.SetErrorRateAsync(1);
        try
        {
            var failures = 0;
            var servedBy = new List<string>();
            for (var i = 0; i < 30; i++)
            {
                using var response = await mesh.Outbound.GetAsync("http://ratings/r");
                if (response.StatusCode == HttpStatusCode.OK)
                    servedBy.Add((await MeshFixture.EchoAsync(response)).Instance);
                else
                    failures++;
            }
            // Round robin hits ratings-b every other request: after 3 consecutive 5xx it is ejected
            // (without ejection 15 of the 30 would fail). On a very slow machine the 4 s ejection can
            // end mid-loop and cost up to 3 more failures before the next ejection.
            Assert.InRange(failures, 3, 6);
            Assert.All(servedBy.TakeLast(15), instance => Assert.Equal("ratings-a", instance));
            Assert.True(Cluster(await mesh.Web.StatsAsync(), "ratings.default").GetProperty("ejections").GetInt64() >= 1);
        }
        finally
        {
            await mesh.RatingsB.SetErrorRateAsync(0);
        }

        // Healthy again: it serves once its ejection time is over.
        var deadline = DateTime.UtcNow + MeshFixture.EjectionTime * 4;
        var back = false;
        while (!back && DateTime.UtcNow < deadline)
        {
            using var response = await mesh.Outbound.GetAsync("http://ratings/r");
            back = response.IsSuccessStatusCode && (await MeshFixture.EchoAsync(response)).Instance == "ratings-b";
            await Task.Delay(100);
        }
        Assert.True(back, "ratings-b never returned to rotation");
    }

    [Fact]
    public async Task CircuitBreaker_MoreConcurrentThanConnectionsPlusPending_OverflowGets503WithHeader()
    {
        // Long enough that all requests are in flight together even on a loaded machine.
        await Task.WhenAll(mesh.RatingsA.SetLatencyAsync(1500), mesh.RatingsB.SetLatencyAsync(1500));
        try
        {
            const int concurrent = 12;
            var results = await Task.WhenAll(Enumerable.Range(0, concurrent).Select(async _ =>
            {
                using var response = await mesh.Outbound.GetAsync("http://ratings/slow");
                return (response.StatusCode, Overflow: response.Headers.TryGetValues("x-meshwork-overflow", out var v) ? v.Single() : null);
            }));
            var overflowed = results.Count(r => r.StatusCode == HttpStatusCode.ServiceUnavailable && r.Overflow == "max_pending_requests");
            var ok = results.Count(r => r.StatusCode == HttpStatusCode.OK);
            Assert.Equal(concurrent, ok + overflowed);
            // At most connections + pending requests are admitted at once; the rest overflow.
            Assert.InRange(ok, 1, concurrent - 1);
            Assert.True(overflowed >= 1);
        }
        finally
        {
            await Task.WhenAll(mesh.RatingsA.SetLatencyAsync(0), mesh.RatingsB.SetLatencyAsync(0));
        }
    }

    [Fact]
    public async Task RequestTimeout_SlowBackend_Returns504()
    {
        await mesh.Flaky.SetLatencyAsync(2000);
        try
        {
            using var response = await mesh.Outbound.GetAsync("http://flaky/slow/op");
            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
            Assert.Equal("request", response.Headers.GetValues("x-meshwork-timeout").Single());
        }
        finally
        {
            await mesh.Flaky.SetLatencyAsync(0);
        }
    }

    [Fact]
    public async Task ActiveHealthCheck_EndpointReportsUnhealthy_TakenOutThenBack()
    {
        async Task<HashSet<string>> InstancesForUsersAsync()
        {
            var instances = new HashSet<string>();
            for (var user = 0; user < 20; user++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "http://sticky/probe");
                request.Headers.Add("x-user", $"user-{user}");
                using var response = await mesh.Outbound.SendAsync(request);
                instances.Add((await MeshFixture.EchoAsync(response)).Instance);
            }
            return instances;
        }

        async Task<bool> EventuallyAsync(Func<HashSet<string>, bool> condition)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (DateTime.UtcNow < deadline)
            {
                if (condition(await InstancesForUsersAsync()))
                    return true;
                await Task.Delay(200);
            }
            return false;
        }

        await mesh.RatingsB.SetHealthyAsync(false);
        try
        {
            Assert.True(await EventuallyAsync(seen => seen.SetEquals(["ratings-a"])), "ratings-b kept receiving traffic while its /health failed");
        }
        finally
        {
            await mesh.RatingsB.SetHealthyAsync(true);
        }
        Assert.True(await EventuallyAsync(seen => seen.Contains("ratings-b")), "ratings-b never came back after its /health recovered");
    }
}
