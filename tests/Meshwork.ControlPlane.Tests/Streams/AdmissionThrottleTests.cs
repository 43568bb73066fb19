using Grpc.Core;
using Meshwork.ControlPlane.Tests.Infrastructure;

namespace Meshwork.ControlPlane.Tests.Streams;

public sealed class AdmissionThrottleTests(ThrottledControlPlaneFixture fixture) : IClassFixture<ThrottledControlPlaneFixture>
{
    [Fact]
    public async Task Connect_BeyondAdmissionRate_IsToldWhenToRetryAndThenAdmitted()
    {
        var proxies = new List<SimulatedProxy>();
        try
        {
            for (var i = 0; i < 3; i++)
                proxies.Add(await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, $"storm-{i}", "storm")));
            await proxies[0].WaitForAsync(_ => true, TimeSpan.FromSeconds(20));
            await proxies[1].WaitForAsync(_ => true, TimeSpan.FromSeconds(20));

            var throttled = await proxies[2].CompletionAsync(TimeSpan.FromSeconds(20));

            Assert.Equal(StatusCode.ResourceExhausted, throttled?.StatusCode);
            var retryAfter = long.Parse(throttled!.Trailers.GetValue("retry-after-ms")!);
            Assert.InRange(retryAfter, 100, 30_000);
            await Task.Delay(TimeSpan.FromMilliseconds(retryAfter));
            await using var retry = await SimulatedProxy.ConnectAsync(fixture.Channel, SimulatedProxy.HelloFor(fixture.Token, "storm-2", "storm"));
            await retry.WaitForAsync(_ => true, TimeSpan.FromSeconds(20));
        }
        finally
        {
            foreach (var proxy in proxies) await proxy.DisposeAsync();
        }
    }
}
