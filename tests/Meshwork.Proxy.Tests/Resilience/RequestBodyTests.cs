using System.Net;
using System.Text;
using Meshwork.Model.Resources;
using Meshwork.Proxy.Resilience;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Waiting;

namespace Meshwork.Proxy.Tests.Resilience;

/// <summary>Retries and mirrors of requests with a body (buffered up to <see cref="RequestBodyBuffer.Limit"/>).</summary>
public sealed class RequestBodyTests
{
    private static IReadOnlyList<Resource> Resources() =>
    [
        PlainSidecar.Service("orders"),
        PlainSidecar.Service("shop"),
        PlainSidecar.Service("shadow"),
        new ResiliencePolicy
        {
            Metadata = new ResourceMetadata { Name = "orders" },
            Service = "orders",
            Retries = new RetryPolicy
            {
                Attempts = 3, RetryOn = ["retriable-status-codes"], RetriableStatusCodes = [503],
                BackoffBase = TimeSpan.FromMilliseconds(5), BackoffMax = TimeSpan.FromMilliseconds(20),
            },
        },
        new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "shop" },
            ParentRefs = [new ParentRef { Name = "shop" }],
            Rules =
            [
                new HttpRouteRule
                {
                    BackendRefs = [new BackendRef { Service = "shop" }],
                    Filters = [new HttpRouteFilter { Type = HttpRouteFilterType.RequestMirror, RequestMirror = new RequestMirror { BackendRef = new BackendRef { Service = "shadow" } } }],
                },
            ],
        },
    ];

    /// <summary>Distinct content per position, so a lost, repeated or reordered chunk shows.</summary>
    private static string Body(int length)
    {
        var text = new StringBuilder(length);
        for (var i = 0; text.Length < length; i++)
            text.Append(i.ToString("x6")).Append(';');
        return text.ToString(0, length);
    }

    /// <summary>Content without a length, so the client sends it chunked.</summary>
    private static HttpContent Chunked(string body) => new StreamContent(new UnseekableStream(Encoding.ASCII.GetBytes(body)));

    [Fact]
    public async Task Retry_PostWithBody_EveryAttemptCarriesTheIdenticalBody()
    {
        await using var orders = await ScriptedBackend.StartAsync("orders-1");
        await using var sidecar = await PlainSidecar.StartAsync("proxy-body-retry", Resources(), ("orders", orders));

        var body = Body(10_000);
        orders.FailNext(2);
        using (var response = await sidecar.Client.PostAsync("http://orders/submit", new StringContent(body, Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var attempts = orders.Received.ToArray();
        Assert.Equal(3, attempts.Length);
        Assert.All(attempts, a => Assert.Equal(("POST", body), (a.Method, a.Body)));

        // A chunked body that fits is buffered the same way.
        orders.FailNext(1);
        using (var response = await sidecar.Client.PostAsync("http://orders/chunked", Chunked(body)))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var chunked = orders.Received.Where(r => r.Path == "/chunked").ToArray();
        Assert.Equal(2, chunked.Length);
        Assert.All(chunked, a => Assert.Equal(body, a.Body));
    }

    [Fact]
    public async Task Retry_BodyOverTheBufferLimit_ForwardedOnceNotRetried()
    {
        await using var orders = await ScriptedBackend.StartAsync("orders-1");
        await using var sidecar = await PlainSidecar.StartAsync("proxy-body-large", Resources(), ("orders", orders));
        var large = Body(RequestBodyBuffer.Limit + 1);

        orders.FailNext(1);
        using (var response = await sidecar.Client.PostAsync("http://orders/declared", new StringContent(large)))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        // Chunked: the proxy only learns it is too large while reading, and still forwards all of it.
        orders.FailNext(1);
        using (var response = await sidecar.Client.PostAsync("http://orders/chunked", Chunked(large)))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);

        var received = orders.Received.ToArray();
        Assert.Equal(["/declared", "/chunked"], received.Select(r => r.Path));
        Assert.All(received, r => Assert.Equal(large, r.Body));

        // Exactly the limit still fits and is retried.
        var fits = Body(RequestBodyBuffer.Limit);
        orders.FailNext(1);
        using (var response = await sidecar.Client.PostAsync("http://orders/fits", Chunked(fits)))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, orders.Received.Count(r => r.Path == "/fits" && r.Body == fits));
    }

    [Fact]
    public async Task Mirror_PostWithBody_MirrorGetsTheSameBodyAndNeverDelaysThePrimary()
    {
        await using var shop = await ScriptedBackend.StartAsync("shop-1");
        await using var shadow = await ScriptedBackend.StartAsync("shadow-1");
        await using var sidecar = await PlainSidecar.StartAsync("proxy-body-mirror", Resources(), ("shop", shop), ("shadow", shadow));
        var body = Body(5_000);

        // The mirror holds every request until released: the primary answer cannot be waiting for it.
        shadow.Hold();
        using (var response = await sidecar.Client.PostAsync("http://shop/buy", new StringContent(body, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"shop-1 got {body.Length} bytes", await response.Content.ReadAsStringAsync());
        }
        var mirrored = await Eventually.ValueAsync(() => shadow.Received.FirstOrDefault(), "a mirrored request");
        Assert.Equal(("POST", "/buy", body, "shop-shadow"), (mirrored.Method, mirrored.Path, mirrored.Body, mirrored.Host));
        Assert.Equal(1, shadow.InFlight);
        shadow.Release();

        // A failing mirror changes nothing for the caller either.
        shadow.FailNext(1);
        using (var response = await sidecar.Client.PostAsync("http://shop/buy", Chunked(body)))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.ValueAsync(() => shadow.Received.Count >= 2 ? shadow.Received.Last() : null, "a second mirrored request");
        Assert.Equal(body, shadow.Received.Last().Body);
    }

    [Fact]
    public async Task Mirror_BodyOverTheBufferLimit_PrimaryServedMirrorSkippedAndCounted()
    {
        await using var shop = await ScriptedBackend.StartAsync("shop-1");
        await using var shadow = await ScriptedBackend.StartAsync("shadow-1");
        await using var sidecar = await PlainSidecar.StartAsync("proxy-body-mirror-large", Resources(), ("shop", shop), ("shadow", shadow));
        var large = Body(RequestBodyBuffer.Limit + 1);

        using (var response = await sidecar.Client.PostAsync("http://shop/large", Chunked(large)))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(large, shop.Received.Single().Body);
        var mirror = (await sidecar.Proxy.StatsAsync()).GetProperty("mirror");
        Assert.Equal(1, mirror.GetProperty("skipped").GetInt64());

        // The next, small request is mirrored; once it has arrived, the large one demonstrably was not.
        using (var response = await sidecar.Client.PostAsync("http://shop/small", new StringContent("small")))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Eventually.ValueAsync(() => shadow.Received.FirstOrDefault(), "a mirrored request");
        Assert.Equal(["/small"], shadow.Received.Select(r => r.Path));
    }

    /// <summary>Hides the length so HttpClient must send the content chunked.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
