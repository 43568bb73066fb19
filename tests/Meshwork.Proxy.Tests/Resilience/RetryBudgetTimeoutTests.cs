using System.Net;
using System.Net.Sockets;
using Meshwork.Model.Resources;
using Meshwork.Proxy.Resilience;

namespace Meshwork.Proxy.Tests.Resilience;

/// <summary>
/// A per-try timeout whose retry the budget refuses ends like Envoy's: a 504 naming the per-try
/// timeout, not a transport error (which the forwarder would turn into a 502 and count against the
/// endpoint's passive health). The upstream is a real socket that accepts and never answers.
/// </summary>
public sealed class RetryBudgetTimeoutTests
{
    [Fact]
    public async Task PerTryTimeout_RetryRefusedByBudget_Returns504PerTry()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                    accepted.Add(await silent.AcceptSocketAsync());
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        });
        var counters = new ClusterCounters();
        var plan = new RequestPlan
        {
            Counters = counters,
            Replayable = true,
            PerTryTimeout = TimeSpan.FromMilliseconds(300),
            StartedAt = System.Diagnostics.Stopwatch.GetTimestamp(),
            // No retry may run: the budget allows none.
            Retries = new RetryPolicy { Attempts = 2, RetryOn = ["reset"], Budget = new RetryBudget { BudgetPercent = 0, MinRetryConcurrency = 0 } },
        };
        using var invoker = new HttpMessageInvoker(new RetryHandler(new SocketsHttpHandler()));
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/slow");
        request.Options.Set(RequestPlan.OptionKey, plan);

        using var response = await invoker.SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("per-try", response.Headers.GetValues(RetryHandler.TimeoutHeader).Single());
        Assert.Equal(1, counters.RetryBudgetExhausted);
        Assert.Equal(0, counters.Retries);
        silent.Stop();
        await accepting;
        accepted.ForEach(s => s.Dispose());
    }
}
