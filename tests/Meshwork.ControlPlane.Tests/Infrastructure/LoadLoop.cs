namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>Closed-loop traffic through a sidecar: counts every request and every failure (non-2xx or exception).</summary>
public sealed class LoadLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task[] workers;
    private long requests;
    private long failures;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> failureSamples = new();

    public LoadLoop(Func<HttpClient> clientFactory, string url, int concurrency = 4)
    {
        workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            using var client = clientFactory();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync(url, stop.Token);
                    if (!response.IsSuccessStatusCode)
                        Fail($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    Fail(ex.GetBaseException().Message);
                }
                Interlocked.Increment(ref requests);
            }
        })).ToArray();
    }

    public long Requests => Interlocked.Read(ref requests);
    public long Failures => Interlocked.Read(ref failures);
    public IReadOnlyCollection<string> FailureSamples => failureSamples.ToArray();

    private void Fail(string reason)
    {
        Interlocked.Increment(ref failures);
        if (failureSamples.Count < 10) failureSamples.Enqueue(reason);
    }

    private int disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        stop.Dispose();
    }
}
