using Meshwork.Model.Resources;
using Microsoft.EntityFrameworkCore;
using static Meshwork.Store.Tests.TestResources;

namespace Meshwork.Store.Tests;

/// <summary>
/// Conflicts between resources, checked in the write transaction against the stored state with
/// the batch replacing stored resources of the same key.
/// </summary>
public sealed class ResourceConflictTests : StoreDatabase
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static Service Payments() => new() { Metadata = new ResourceMetadata { Name = "payments" }, Versions = [new ServiceVersion { Name = "v1" }] };

    private static ResiliencePolicy Policy(string name, string service = "checkout", long version = 0, int attempts = 2) => new()
    {
        Metadata = new ResourceMetadata { Name = name, Version = version },
        Service = service,
        Retries = new RetryPolicy { Attempts = attempts },
    };

    [Fact]
    public async Task ApplyAsync_SecondPolicyForTheSameService_IsRejectedNamingTheFirstAndChangesNothing()
    {
        await using var listener = new ChangeListener(ConnectionString);
        await listener.StartAsync();
        await using var db = OpenContext();
        var service = ServiceOver(db);
        Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(Checkout(), Alice));
        Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(Policy("checkout-default"), Alice));
        Assert.Equal(new ChangeNotification(Checkout().Key, 1), await listener.Changes.ReadAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(new ChangeNotification(Policy("checkout-default").Key, 1), await listener.Changes.ReadAsync().AsTask().WaitAsync(Patience));

        var result = await service.ApplyAsync(Policy("checkout-strict", attempts: 5), Bob);

        var invalid = Assert.IsType<ChangeResult.Invalid>(result);
        var error = Assert.Single(invalid.Validation.Issues);
        Assert.Equal("service", error.Path);
        Assert.StartsWith("service 'checkout' already has ResiliencePolicy 'checkout-default'; ", error.Message, StringComparison.Ordinal);
        Assert.Null(await service.GetAsync(Policy("checkout-strict").Key));
        Assert.Equal(0, await db.ResourceRevisions.CountAsync(r => r.Name == "checkout-strict"));
        Assert.Equal(2, await db.AuditLog.CountAsync());
        // The next notification is a later, accepted change: the rejected write queued none.
        Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(Checkout(version: 1, description: "after"), Alice));
        Assert.Equal(new ChangeNotification(Checkout().Key, 2), await listener.Changes.ReadAsync().AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task ApplyManyAsync_BatchMovesPolicyToAnotherServiceAndReplacesIt_IsApplied()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        Assert.IsType<ChangeResult.Applied>(await service.ApplyManyAsync([Checkout(), Payments(), Policy("checkout-default")], Alice));

        // Judged against the stored policy, the new one would conflict; against the batch's move, it does not.
        var result = await service.ApplyManyAsync([Policy("checkout-default", service: "payments", version: 1), Policy("checkout-strict", attempts: 5)], Bob);

        Assert.IsType<ChangeResult.Applied>(result);
        Assert.Equal("payments", ((ResiliencePolicy)(await service.GetAsync(Policy("checkout-default").Key))!.Resource).Service);
        Assert.Equal("checkout", ((ResiliencePolicy)(await service.GetAsync(Policy("checkout-strict").Key))!.Resource).Service);
    }

    [Fact]
    public async Task ApplyAsync_UpdateOfTheStoredPolicy_IsNotAConflictWithItself()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        Assert.IsType<ChangeResult.Applied>(await service.ApplyManyAsync([Checkout(), Policy("checkout-default")], Alice));

        var result = await service.ApplyAsync(Policy("checkout-default", version: 1, attempts: 4), Bob);

        Assert.IsType<ChangeResult.Applied>(result);
        Assert.Equal(4, ((ResiliencePolicy)(await service.GetAsync(Policy("checkout-default").Key))!.Resource).Retries!.Attempts);
    }

    [Fact]
    public async Task DeleteAsync_OneOfTwoConflictingPoliciesStoredBeforeTheRule_IsApplied()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        Assert.IsType<ChangeResult.Applied>(await service.ApplyManyAsync([Checkout(), Policy("checkout-default")], Alice));
        // Written past the validator, as data stored before the rule existed was.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO resources (kind, namespace, name, version, spec, updated_at, updated_by)
            SELECT kind, namespace, 'checkout-strict', 1, replace(spec::text, '"checkout-default"', '"checkout-strict"')::jsonb, updated_at, updated_by
            FROM resources WHERE name = 'checkout-default'
            """);

        var result = await service.DeleteAsync(Policy("checkout-default").Key, 1, Alice);

        Assert.IsType<ChangeResult.Applied>(result);
        Assert.Equal(["checkout-strict"], (await service.ListAsync(ResourceKind.ResiliencePolicy)).Select(r => r.Resource.Metadata.Name));
    }
}
