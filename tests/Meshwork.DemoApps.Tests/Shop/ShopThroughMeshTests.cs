using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Meshwork.DemoApps.Tests.Infrastructure;

namespace Meshwork.DemoApps.Tests.Shop;

/// <summary>
/// The shop's pages and knobs through a real proxy: a page is composed from the services behind it,
/// a version turned to 100% errors really answers 5xx to its callers through the mesh (and the proxy
/// counts them), and the latency knob really delays the answers. Each test puts the knobs back.
/// </summary>
public sealed class ShopThroughMeshTests(ShopMesh shop) : IClassFixture<ShopMesh>
{
    [Fact]
    public async Task ProductPage_ThroughTheMesh_IsComposedFromCatalogPricingReviewsAndRatings()
    {
        using var response = await shop.Mesh.GetAsync("http://frontend/products/2");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var page = JsonDocument.Parse(body);
        var product = page.RootElement.GetProperty("product");
        Assert.Equal("Canary bird feeder", product.GetProperty("name").GetString());
        Assert.Equal(24.00m, product.GetProperty("price").GetProperty("amount").GetDecimal());
        Assert.Equal(3, product.GetProperty("stock").GetInt32());   // catalog v2's addition
        var reviews = page.RootElement.GetProperty("reviews");
        Assert.Equal("v3", reviews.GetProperty("reviewsVersion").GetString());
        Assert.Equal("★★★★☆", reviews.GetProperty("rating").GetProperty("stars").GetString());
        Assert.Equal("red", reviews.GetProperty("rating").GetProperty("color").GetString());
        var servedBy = page.RootElement.GetProperty("servedBy");
        Assert.Equal("catalog-v2-1", servedBy.GetProperty("catalog").GetString());
        Assert.Equal("reviews-v3-1", servedBy.GetProperty("reviews").GetString());
    }

    [Fact]
    public async Task HomePage_ListsEveryProductWithItsPrice_AndTheFeaturedReviews()
    {
        using var page = JsonDocument.Parse(await shop.Mesh.GetStringAsync("http://frontend/"));
        var products = page.RootElement.GetProperty("products").EnumerateArray().ToList();
        Assert.Equal(3, products.Count);
        Assert.All(products, p => Assert.True(p.GetProperty("price").GetProperty("amount").GetDecimal() > 0, p.ToString()));
        Assert.Equal(1, page.RootElement.GetProperty("featuredReviews").GetProperty("productId").GetInt32());
    }

    [Fact]
    public async Task ErrorKnob_VersionAtFullErrorRate_Answers5xxThroughTheMesh_AndItsCallerFails()
    {
        using (var before = await shop.Mesh.GetAsync("http://catalog/products"))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await shop.SetKnobsAsync("catalog", "errorRate=1");
        try
        {
            for (var i = 0; i < 3; i++)
            {
                using var direct = await shop.Mesh.GetAsync("http://catalog/products");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, direct.StatusCode);
                Assert.Equal("catalog-v2-1", direct.Headers.GetValues("x-served-by").Single());
            }
            using var page = await shop.Mesh.GetAsync("http://frontend/products/1");
            Assert.Equal(HttpStatusCode.BadGateway, page.StatusCode);
            Assert.Contains("catalog answered 503", await page.Content.ReadAsStringAsync());

            // The mesh saw them: the proxy's outbound rows for catalog v2 count 5xx answers.
            using var stats = JsonDocument.Parse(await shop.ProxyStatsAsync());
            var errors = stats.RootElement.GetProperty("traffic").EnumerateArray()
                .Where(t => t.GetProperty("destination").GetString() == "catalog" && t.GetProperty("version").GetString() == "v2"
                    && t.GetProperty("statusClass").GetString() == "5xx")
                .Sum(t => t.GetProperty("requests").GetInt64());
            Assert.True(errors >= 4, $"catalog v2 5xx rows in the proxy's stats: {errors}");
        }
        finally
        {
            await shop.SetKnobsAsync("catalog", "errorRate=0");
        }
        using var after = await shop.Mesh.GetAsync("http://frontend/products/1");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task ErrorKnob_OnRatings_ThePageDegradesWithoutStars()
    {
        await shop.SetKnobsAsync("ratings", "errorRate=1");
        try
        {
            using var page = JsonDocument.Parse(await shop.Mesh.GetStringAsync("http://frontend/products/1"));
            var rating = page.RootElement.GetProperty("reviews").GetProperty("rating");
            Assert.Equal("ratings answered 503", rating.GetProperty("unavailable").GetString());
            Assert.NotEmpty(page.RootElement.GetProperty("reviews").GetProperty("reviews").EnumerateArray());
        }
        finally
        {
            await shop.SetKnobsAsync("ratings", "errorRate=0");
        }
    }

    [Fact]
    public async Task LatencyKnob_DelaysEveryPageThatNeedsTheService()
    {
        const int delayMs = 1500;
        await shop.SetKnobsAsync("pricing", $"latencyMs={delayMs}");
        try
        {
            var clock = Stopwatch.StartNew();
            using var response = await shop.Mesh.GetAsync("http://frontend/products/3");
            clock.Stop();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // A lower bound only: pricing holds every answer this long, however fast the machine.
            Assert.True(clock.ElapsedMilliseconds >= delayMs, $"the page took {clock.ElapsedMilliseconds} ms with pricing at {delayMs} ms");
        }
        finally
        {
            await shop.SetKnobsAsync("pricing", "latencyMs=0");
        }
    }

    [Theory]
    [InlineData("errorRate=1.5", "errorRate")]
    [InlineData("latencyMs=-1", "latencyMs")]
    [InlineData("errorStatus=42", "errorStatus")]
    public async Task Knobs_RejectOutOfRangeValues_NamingTheField_AndChangeNothing(string query, string field)
    {
        var before = await shop.Direct.GetStringAsync($"{shop.AppUrl("reviews")}/admin/config");
        using var response = await shop.Direct.PostAsync($"{shop.AppUrl("reviews")}/admin/config?{query}", null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), problem.RootElement.ToString());
        Assert.Equal(before, await shop.Direct.GetStringAsync($"{shop.AppUrl("reviews")}/admin/config"));
    }
}
