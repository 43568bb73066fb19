using Grpc.Core;
using Meshwork.ControlPlane.Tests.Infrastructure;

namespace Meshwork.ControlPlane.Tests.Streams;

public sealed class AdmissionThrottleTests(ThrottledControlPlaneFixture fixture) : IClassFixture<ThrottledControlPlaneFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Connect_BeyondAdmissionRate_IsToldWhenToRetryAndThenAdmitted()
    {
        var proxies = new List<SimulatedProxy>();
        try
        {
            for (var i = 0; i < 3; i++)
                proxies.Add(await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, $"storm-{i}", "storm")));

            // Burst 2: two streams are served, the third (whichever arrives last) is throttled.
            var outcomes = await Task.WhenAll(proxies.Select(async proxy =>
            {
                try
                {
                    await proxy.WaitForAsync(_ => true, Timeout);
                    return null;
                }
                catch (InvalidOperationException)
                {
                    return proxy.Failure;
                }
            }));

            var throttled = Assert.Single(outcomes, o => o is not null)!;
            Assert.Equal(StatusCode.ResourceExhausted, throttled.StatusCode);
            var retryAfter = long.Parse(throttled.Trailers.GetValue("retry-after-ms")!);
            Assert.InRange(retryAfter, 100, 30_000);
            await Task.Delay(TimeSpan.FromMilliseconds(retryAfter));
            var id = $"storm-{Array.IndexOf(outcomes, throttled)}";
            await using var retry = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, id, "storm"));
            await retry.WaitForAsync(_ => true, Timeout);
        }
        finally
        {
            foreach (var proxy in proxies) await proxy.DisposeAsync();
        }
    }
}
