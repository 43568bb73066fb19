namespace Meshwork.DemoApps.Shop;

/// <summary>The demo shop's data set: each role serves its own slice (catalog the products, pricing
/// the prices, reviews the texts, ratings the stars), so every page needs several services.</summary>
public static class ShopData
{
    public sealed record Product(int Id, string Name, int Stock);

    public sealed record Review(string Reviewer, string Text);

    public static readonly IReadOnlyList<Product> Products =
    [
        new(1, "Sidecar espresso cup", 12),
        new(2, "Canary bird feeder", 3),
        new(3, "Circuit breaker kit", 0),
    ];

    public static readonly IReadOnlyDictionary<int, decimal> Prices = new Dictionary<int, decimal> { [1] = 9.50m, [2] = 24.00m, [3] = 39.90m };

    public static readonly IReadOnlyDictionary<int, int> Stars = new Dictionary<int, int> { [1] = 5, [2] = 4, [3] = 2 };

    public static readonly IReadOnlyDictionary<int, IReadOnlyList<Review>> Reviews = new Dictionary<int, IReadOnlyList<Review>>
    {
        [1] = [new("ana", "Holds exactly one espresso, like a sidecar holds one app."), new("ben", "Survived a control plane outage.")],
        [2] = [new("chris", "The birds come in at 10% first, then everyone.")],
        [3] = [new("dee", "Opened after five consecutive errors, as promised.")],
    };
}
