using System.Text.Json.Nodes;
using Meshwork.DemoApps.Backend;

namespace Meshwork.DemoApps.Shop;

/// <summary>
/// The demo shop, one role per process (docs/operations.md, "Demo shop"):
/// <code>
/// gateway (the mesh's gateway proxy) ─► frontend ─┬─► catalog (v1, v2) ─► pricing
///                                                 └─► reviews (v1, v2, v3) ─► ratings
/// </code>
/// Every role has the knobs of <see cref="DemoHost"/> (Demo:LatencyMs, Demo:ErrorRate at start,
/// POST /admin/config at run time). A page the frontend cannot make without a callee (no product
/// without the catalog, no price without pricing) fails with 502; reviews and stars are extras the
/// page degrades without, as shops do.
/// </summary>
public static class ShopApp
{
    public static readonly IReadOnlyList<string> Roles = ["frontend", "catalog", "pricing", "reviews", "ratings"];

    public static async Task RunAsync(string role, string[] args)
    {
        var (app, state) = DemoHost.Create(args, builder =>
        {
            builder.Services.AddHttpClient(Callee.ClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
            builder.Services.AddSingleton<Callee>();
        });
        var version = state.Options.Version;
        switch (role)
        {
            case "frontend": MapFrontend(app); break;
            case "catalog": MapCatalog(app, version); break;
            case "pricing": MapPricing(app); break;
            case "reviews": MapReviews(app, version); break;
            case "ratings": MapRatings(app); break;
            default: throw new ArgumentOutOfRangeException(nameof(role), role, $"not a shop role ({string.Join(", ", Roles)})");
        }
        await app.RunAsync();
    }

    /// <summary>GET / (every product and the first one's reviews) and GET /products/{id} (one product and its reviews).</summary>
    private static void MapFrontend(WebApplication app)
    {
        app.MapGet("/", async (Callee callee, CancellationToken ct) =>
        {
            var products = await callee.GetAsync("catalog", "/products", ct);
            if (!products.Ok)
                return Results.Problem(products.Failure, statusCode: StatusCodes.Status502BadGateway);
            var featured = products.Body!.AsArray().FirstOrDefault()?["id"]?.GetValue<int>() ?? 1;
            var reviews = await callee.GetAsync("reviews", $"/reviews/{featured}", ct);
            return Results.Json(new JsonObject
            {
                ["shop"] = "Meshwork demo shop",
                ["products"] = products.Body,
                ["featuredReviews"] = ReviewsOrNotice(reviews),
                ["servedBy"] = ServedBy(app, ("catalog", products), ("reviews", reviews)),
            });
        });
        app.MapGet("/products/{id:int}", async (int id, Callee callee, CancellationToken ct) =>
        {
            var product = await callee.GetAsync("catalog", $"/products/{id}", ct);
            if (!product.Ok)
                return Results.Problem(product.Failure, statusCode: StatusCodes.Status502BadGateway);
            var reviews = await callee.GetAsync("reviews", $"/reviews/{id}", ct);
            return Results.Json(new JsonObject
            {
                ["product"] = product.Body,
                ["reviews"] = ReviewsOrNotice(reviews),
                ["servedBy"] = ServedBy(app, ("catalog", product), ("reviews", reviews)),
            });
        });
    }

    /// <summary>GET /products and GET /products/{id} with prices from pricing; v2 adds the stock level (the canary's new feature).</summary>
    private static void MapCatalog(WebApplication app, string version)
    {
        JsonObject Product(ShopData.Product p, JsonNode? price)
        {
            var product = new JsonObject { ["id"] = p.Id, ["name"] = p.Name, ["price"] = price?.DeepClone(), ["catalogVersion"] = version };
            if (version == "v2")
                product["stock"] = p.Stock;
            return product;
        }

        app.MapGet("/products", async (Callee callee, CancellationToken ct) =>
        {
            var prices = await callee.GetAsync("pricing", "/prices", ct);
            if (!prices.Ok)
                return Results.Problem(prices.Failure, statusCode: StatusCodes.Status502BadGateway);
            return Results.Json(new JsonArray([.. ShopData.Products.Select(p => Product(p, prices.Body![p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))]));
        });
        app.MapGet("/products/{id:int}", async (int id, Callee callee, CancellationToken ct) =>
        {
            if (ShopData.Products.FirstOrDefault(p => p.Id == id) is not { } product)
                return Results.NotFound();
            var price = await callee.GetAsync("pricing", $"/prices/{id}", ct);
            if (!price.Ok)
                return Results.Problem(price.Failure, statusCode: StatusCodes.Status502BadGateway);
            return Results.Json(Product(product, price.Body));
        });
    }

    /// <summary>GET /prices (every product id to its price) and GET /prices/{id}.</summary>
    private static void MapPricing(WebApplication app)
    {
        app.MapGet("/prices", () => Results.Json(ShopData.Prices.ToDictionary(p => p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), p => Price(p.Value))));
        app.MapGet("/prices/{id:int}", (int id) => ShopData.Prices.TryGetValue(id, out var amount) ? Results.Json(Price(amount)) : Results.NotFound());
    }

    private static object Price(decimal amount) => new { amount, currency = "EUR" };

    /// <summary>GET /reviews/{id} with the stars from ratings: v1 as a number, v2 as black stars, v3 as red stars (the three looks a split shows).</summary>
    private static void MapReviews(WebApplication app, string version)
    {
        app.MapGet("/reviews/{id:int}", async (int id, Callee callee, CancellationToken ct) =>
        {
            if (!ShopData.Reviews.TryGetValue(id, out var reviews))
                return Results.NotFound();
            var rating = await callee.GetAsync("ratings", $"/ratings/{id}", ct);
            var stars = rating.Body?["stars"]?.GetValue<int>();
            var answer = new JsonObject
            {
                ["productId"] = id,
                ["reviewsVersion"] = version,
                ["reviews"] = new JsonArray([.. reviews.Select(r => (JsonNode)new JsonObject { ["reviewer"] = r.Reviewer, ["text"] = r.Text })]),
            };
            answer["rating"] = stars switch
            {
                null => new JsonObject { ["unavailable"] = rating.Failure },
                { } s when version == "v1" => new JsonObject { ["stars"] = s },
                { } s => new JsonObject { ["stars"] = new string('★', s) + new string('☆', 5 - s), ["color"] = version == "v3" ? "red" : "black" },
            };
            return Results.Json(answer);
        });
    }

    /// <summary>GET /ratings/{id}: the product's stars, 1 to 5.</summary>
    private static void MapRatings(WebApplication app) =>
        app.MapGet("/ratings/{id:int}", (int id) => ShopData.Stars.TryGetValue(id, out var stars) ? Results.Json(new { productId = id, stars }) : Results.NotFound());

    private static JsonNode? ReviewsOrNotice(Callee.Answer reviews) =>
        reviews.Ok ? reviews.Body : new JsonObject { ["unavailable"] = reviews.Failure };

    /// <summary>Which instance answered each part of the page (their x-served-by): shows a split at work.</summary>
    private static JsonObject ServedBy(WebApplication app, params (string Service, Callee.Answer Answer)[] parts)
    {
        var servedBy = new JsonObject { ["frontend"] = app.Services.GetRequiredService<BackendState>().Options.Instance };
        foreach (var (service, answer) in parts)
            servedBy[service] = answer.ServedBy;
        return servedBy;
    }
}
