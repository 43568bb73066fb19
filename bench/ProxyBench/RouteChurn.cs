using System.Diagnostics;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Meshwork.Testing.Postgres;

namespace ProxyBench;

/// <summary>
/// Route changes at a steady pace, as an operator nudging a canary back and forth: every interval the
/// first rule of an HttpRoute moves <c>step</c> weight points from its first backend to its second,
/// and the next time back. Written through the store's ResourceService (validated, versioned,
/// audited and notified as a portal edit is), so each change reaches the proxies the normal way:
/// the control plane compiles and pushes a new snapshot to every sidecar that routes to the service.
/// The route is left as it was found.
/// </summary>
internal static class RouteChurn
{
    public static async Task<int> RunAsync(Options options)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Meshwork")
            ?? throw new ArgumentException("set ConnectionStrings__Meshwork");
        var (ns, name) = options.Get("route").Split('/') is [var n, var r] ? (n, r) : throw new ArgumentException("--route is NAMESPACE/NAME");
        var every = options.Duration("every", "5s");
        var duration = options.Duration("duration", "10m");
        var step = options.Int("step", 10);
        var actor = new ChangeActor("bench/soak", ChangeSource.System);

        HttpRoute original;
        await using (var db = MigratedDatabase.OpenSession(connectionString))
            original = (await new ResourceService(db, TimeProvider.System).GetAsync(new ResourceKey(ResourceKind.HttpRoute, ns, name)))?.Resource as HttpRoute
                ?? throw new ArgumentException($"no HttpRoute {ns}/{name}");
        var shifted = Shift(original, step);

        long changes = 0, failed = 0;
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(every);
        while (clock.Elapsed + every <= duration && await timer.WaitForNextTickAsync())
        {
            try
            {
                await StoredResources.ReplaceAsync(connectionString, changes % 2 == 0 ? shifted : original, actor);
                changes++;
            }
            catch (Exception ex)
            {
                // A soak keeps going: a failed write is counted and reported, not fatal.
                failed++;
                Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] churn: change failed: {ex.Message}");
            }
        }
        if (changes % 2 == 1)
            await StoredResources.ReplaceAsync(connectionString, original, actor);
        Console.WriteLine($"churn: route={ns}/{name} changes={changes} failed={failed}");
        return failed == 0 ? 0 : 1;
    }

    private static HttpRoute Shift(HttpRoute route, int step)
    {
        if (route.Rules is not [var first, ..] || first.BackendRefs is not [var shrinking, var growing, ..] || shrinking.Weight < step)
            throw new ArgumentException($"route {route.Metadata.Name}: its first rule needs two backends, the first weighted {step} or more");
        IReadOnlyList<BackendRef> backends = [shrinking with { Weight = shrinking.Weight - step }, growing with { Weight = growing.Weight + step }, .. first.BackendRefs.Skip(2)];
        return route with { Rules = [first with { BackendRefs = backends }, .. route.Rules.Skip(1)] };
    }
}
