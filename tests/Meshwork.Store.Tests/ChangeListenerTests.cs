using Meshwork.Model.Resources;
using Microsoft.EntityFrameworkCore;
using static Meshwork.Store.Tests.TestResources;

namespace Meshwork.Store.Tests;

public sealed class ChangeListenerTests : StoreDatabase
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ApplyAsync_InOpenTransaction_NotifiesOnlyAfterCommit()
    {
        await using var listener = new ChangeListener(ConnectionString);
        await listener.StartAsync();
        await using var db = OpenContext();
        var service = ServiceOver(db);

        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(Checkout(), Alice));
            Assert.False(await ReceivedWithin(listener, Quiet), "a notification arrived before the change committed");
            await transaction.CommitAsync();
        }

        var change = await listener.Changes.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(new ChangeNotification(Checkout().Key, 1), change);
    }

    [Fact]
    public async Task ApplyAsync_TransactionRolledBack_NeverNotifies()
    {
        await using var listener = new ChangeListener(ConnectionString);
        await listener.StartAsync();
        await using var db = OpenContext();

        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await ServiceOver(db).ApplyAsync(Checkout(), Alice);
            await transaction.RollbackAsync();
        }
        await ServiceOver(db).ApplyAsync(Checkout(description: "committed"), Bob);

        // The first thing delivered is the committed change, not the rolled-back one.
        var change = await listener.Changes.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(new ChangeNotification(Checkout().Key, 1), change);
        Assert.Equal("bob", (await ServiceOver(db).GetAsync(Checkout().Key))!.UpdatedBy);
    }

    [Fact]
    public async Task ApplyManyAsync_TwoResources_NotifiesEachWithItsVersion()
    {
        await using var listener = new ChangeListener(ConnectionString);
        await listener.StartAsync();
        await using var db = OpenContext();

        await ServiceOver(db).ApplyManyAsync([Checkout(), CheckoutRoute(10)], Alice);

        var first = await listener.Changes.ReadAsync().AsTask().WaitAsync(Patience);
        var second = await listener.Changes.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal([new ChangeNotification(Checkout().Key, 1), new ChangeNotification(CheckoutRoute(0).Key, 1)], [first, second]);
    }

    [Fact]
    public async Task ApplyAsync_Rejected_NeverNotifies()
    {
        await using var listener = new ChangeListener(ConnectionString);
        await listener.StartAsync();
        await using var db = OpenContext();

        Assert.IsType<ChangeResult.Invalid>(await ServiceOver(db).ApplyAsync(RouteToUnknownService(), Alice));

        Assert.False(await ReceivedWithin(listener, Quiet));
    }

    [Fact]
    public async Task Changes_ConnectionKilledByServer_ReconnectsAndAsksForResync()
    {
        await using var listener = new ChangeListener(ConnectionString);
        await listener.StartAsync();
        await using var db = OpenContext();

        var killed = await db.Database.SqlQuery<bool>($"""
            SELECT pg_terminate_backend(pid) AS "Value" FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = {ChangeListener.ApplicationName}
            """).ToListAsync();
        Assert.Equal([true], killed);

        Assert.Equal(ChangeNotification.Resync, await listener.Changes.ReadAsync().AsTask().WaitAsync(Patience));
        await ServiceOver(db).ApplyAsync(Checkout(), Alice);
        Assert.Equal(new ChangeNotification(Checkout().Key, 1), await listener.Changes.ReadAsync().AsTask().WaitAsync(Patience));
    }

    [Theory]
    [InlineData("HttpRoute/shop/checkout-route:12", ResourceKind.HttpRoute, "shop", "checkout-route", 12L)]
    [InlineData("Service/default/a:b:3", ResourceKind.Service, "default", "a:b", 3L)]
    public void Parse_WellFormedPayload_ReturnsKeyAndVersion(string payload, ResourceKind kind, string ns, string name, long version) =>
        Assert.Equal(new ChangeNotification(new ResourceKey(kind, ns, name), version), ChangeNotification.Parse(payload));

    [Theory]
    [InlineData("HttpRoute/shop:12")]
    [InlineData("Nope/default/a:1")]
    [InlineData("Service/default/a:-1")]
    [InlineData("Service/default/a")]
    public void Parse_MalformedPayload_ReturnsNull(string payload) => Assert.Null(ChangeNotification.Parse(payload));

    private static async Task<bool> ReceivedWithin(ChangeListener listener, TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return await listener.Changes.WaitToReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
