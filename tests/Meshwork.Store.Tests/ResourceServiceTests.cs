using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Microsoft.EntityFrameworkCore;
using static Meshwork.Store.Tests.TestResources;

namespace Meshwork.Store.Tests;

public sealed class ResourceServiceTests : StoreDatabase
{
    [Fact]
    public async Task ApplyAsync_NewResource_StoresVersionOneWithRevision()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);

        var result = await service.ApplyAsync(Checkout(), Alice);

        var applied = Assert.IsType<ChangeResult.Applied>(result);
        Assert.Equal(1, Assert.Single(applied.Resources).Resource.Metadata.Version);
        var stored = await service.GetAsync(Checkout().Key);
        Assert.NotNull(stored);
        Assert.Equal(1, stored.Resource.Metadata.Version);
        Assert.Equal("alice", stored.UpdatedBy);
        var revision = Assert.Single(await service.ListRevisionsAsync(Checkout().Key));
        Assert.Equal((1L, ChangeAction.Create, "alice", ChangeSource.Portal), (revision.Version, revision.Action, revision.Actor, revision.Source));
    }

    [Fact]
    public async Task Applied_CarriesTheRevisionItCreated_AndListWithRevisionReadsTheStateAtThatRevision()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        Assert.Equal(0, (await service.ListWithRevisionAsync()).Revision);

        var first = Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(Checkout(), Alice));
        var second = Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(CheckoutRoute(canaryWeight: 10), Alice));

        Assert.True(first.Revision > 0);
        Assert.True(second.Revision > first.Revision, "each change gets a later revision");
        var (resources, revision) = await service.ListWithRevisionAsync();
        Assert.Equal(second.Revision, revision);
        Assert.Equal(2, resources.Count);
        var audit = await new AuditLog(new StoreSession(db)).QueryAsync(new AuditQuery());
        Assert.Equal(audit.Max(a => a.Sequence), revision);
    }

    [Fact]
    public async Task ApplyAsync_CreateWhenResourceExists_ReturnsConflict()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);

        var result = await service.ApplyAsync(Checkout(description: "again"), Bob);

        Assert.Equal(new ChangeResult.Conflict(Checkout().Key, 0, 1), result);
    }

    [Fact]
    public async Task ApplyAsync_UpdateOfMissingResource_ReturnsNotFound()
    {
        await using var db = OpenContext();

        var result = await ServiceOver(db).ApplyAsync(Checkout(version: 3), Alice);

        Assert.Equal(new ChangeResult.NotFound(Checkout().Key), result);
    }

    [Fact]
    public async Task ApplyAsync_ConcurrentEditsOfOneRouteFromTwoContexts_ExactlyOneWinsOtherConflicts()
    {
        await using (var setup = OpenContext())
        {
            var service = ServiceOver(setup);
            Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(Checkout(), Alice));
            Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(CheckoutRoute(canaryWeight: 0), Alice));
        }

        // Several rounds: each starts from the version both editors read, and races two writes.
        for (var round = 0; round < 5; round++)
        {
            await using var aliceDb = OpenContext();
            await using var bobDb = OpenContext();
            var read = (await ServiceOver(aliceDb).GetAsync(CheckoutRoute(0).Key))!.Resource.Metadata.Version;
            var aliceEdit = CheckoutRoute(canaryWeight: 10, version: read);
            var bobEdit = CheckoutRoute(canaryWeight: 90, version: read);

            using var start = new ManualResetEventSlim();
            var alice = Task.Run(() => { start.Wait(); return ServiceOver(aliceDb).ApplyAsync(aliceEdit, Alice); });
            var bob = Task.Run(() => { start.Wait(); return ServiceOver(bobDb).ApplyAsync(bobEdit, Bob); });
            start.Set();
            var results = await Task.WhenAll(alice, bob);

            var winner = Assert.Single(results.OfType<ChangeResult.Applied>());
            var loser = Assert.Single(results.OfType<ChangeResult.Conflict>());
            Assert.Equal((read, read + 1), (loser.ExpectedVersion, loser.CurrentVersion));
            await using var check = OpenContext();
            var stored = (await ServiceOver(check).GetAsync(aliceEdit.Key))!;
            Assert.Equal(MeshworkJson.Canonical(winner.Resources[0].Resource), MeshworkJson.Canonical(stored.Resource));
            Assert.Equal(read + 1, stored.Resource.Metadata.Version);
        }

        await using var final = OpenContext();
        Assert.Equal(7, await final.AuditLog.CountAsync());
        Assert.Equal(6, await final.ResourceRevisions.CountAsync(r => r.Kind == ResourceKind.HttpRoute));
    }

    [Fact]
    public async Task ApplyAsync_RowChangedBehindTheWriteLockBeforeWrite_ReturnsConflictNotLostUpdate()
    {
        await using var db = OpenContext();
        await ServiceOver(db).ApplyAsync(Checkout(), Alice);
        using var clock = new TestPausingTimeProvider();
        var service = new ResourceService(new StoreSession(db), clock);

        var mine = Task.Run(() => service.ApplyAsync(Checkout(version: 1, description: "mine"), Alice));
        Assert.True(clock.Reached.Wait(TimeSpan.FromSeconds(30)), "the write never reached the clock");
        // A writer that ignores the store's lock (raw SQL) changes the row in the gap.
        await using (var other = OpenContext())
            await other.Database.ExecuteSqlRawAsync(
                """UPDATE resources SET version = 2, spec = jsonb_set(spec, '{{description}}', '"theirs"') WHERE name = 'checkout'""");
        clock.Release.Set();
        var result = await mine;

        Assert.Equal(new ChangeResult.Conflict(Checkout().Key, 1, 2), result);
        await using var check = OpenContext();
        Assert.Equal("theirs", ((Service)(await ServiceOver(check).GetAsync(Checkout().Key))!.Resource).Description);
        Assert.Equal(1, await check.AuditLog.CountAsync());
        Assert.Equal(1, await check.ResourceRevisions.CountAsync());
    }

    [Fact]
    public async Task ApplyAsync_ConcurrentCreatesOfOneKey_OneCreatesOtherConflicts()
    {
        await using var aliceDb = OpenContext();
        await using var bobDb = OpenContext();
        using var start = new ManualResetEventSlim();

        var alice = Task.Run(() => { start.Wait(); return ServiceOver(aliceDb).ApplyAsync(Checkout(description: "alice"), Alice); });
        var bob = Task.Run(() => { start.Wait(); return ServiceOver(bobDb).ApplyAsync(Checkout(description: "bob"), Bob); });
        start.Set();
        var results = await Task.WhenAll(alice, bob);

        Assert.Single(results.OfType<ChangeResult.Applied>());
        Assert.Equal(new ChangeResult.Conflict(Checkout().Key, 0, 1), Assert.Single(results.OfType<ChangeResult.Conflict>()));
    }

    [Fact]
    public async Task ApplyAsync_ManyConcurrentWritersOnDifferentResources_AuditChainStaysLinear()
    {
        await using (var setup = OpenContext())
            await ServiceOver(setup).ApplyAsync(Checkout(), Alice);

        var writers = Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            await using var db = OpenContext();
            var service = ServiceOver(db);
            for (var edit = 0; edit < 5; edit++)
            {
                var route = CheckoutRoute(canaryWeight: edit * 10, version: edit) with
                {
                    Metadata = new ResourceMetadata { Name = $"route-{writer}", Version = edit },
                };
                Assert.IsType<ChangeResult.Applied>(await service.ApplyAsync(route, Alice));
            }
        })).ToList();
        await Task.WhenAll(writers);

        await using var check = OpenContext();
        Assert.Equal(ChainVerification.Intact(41), await new AuditLog(new StoreSession(check)).VerifyChainAsync());
    }

    [Fact]
    public async Task ApplyAsync_InvalidResource_WritesNoRowRevisionOrAuditEntry()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);

        var result = await service.ApplyAsync(RouteToUnknownService(), Alice);

        var invalid = Assert.IsType<ChangeResult.Invalid>(result);
        Assert.Contains(invalid.Validation.Errors, e => e.Path.StartsWith("rules[0].backendRefs[0]", StringComparison.Ordinal));
        Assert.Null(await service.GetAsync(RouteToUnknownService().Key));
        Assert.Equal(0, await db.Resources.CountAsync(r => r.Kind == ResourceKind.HttpRoute));
        Assert.Equal(0, await db.ResourceRevisions.CountAsync(r => r.Kind == ResourceKind.HttpRoute));
        Assert.Equal(1, await db.AuditLog.CountAsync());
    }

    [Fact]
    public async Task ApplyManyAsync_RouteWithItsServiceInOneBatch_AppliesBoth()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);

        var result = await service.ApplyManyAsync([CheckoutRoute(canaryWeight: 20), Checkout()], Alice);

        var applied = Assert.IsType<ChangeResult.Applied>(result);
        Assert.Equal(2, applied.Resources.Count);
        Assert.Equal(2, (await service.ListAsync()).Count);
        Assert.Equal(2, await db.AuditLog.CountAsync());
    }

    [Fact]
    public async Task ApplyManyAsync_OneStaleVersion_WritesNothing()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(Checkout(version: 1, description: "edited"), Alice);

        var result = await service.ApplyManyAsync([CheckoutRoute(canaryWeight: 20), Checkout(version: 1, description: "stale")], Bob);

        Assert.Equal(new ChangeResult.Conflict(Checkout().Key, 1, 2), result);
        Assert.Null(await service.GetAsync(CheckoutRoute(0).Key));
        Assert.Equal("edited", ((Service)(await service.GetAsync(Checkout().Key))!.Resource).Description);
        Assert.Equal(2, await db.AuditLog.CountAsync());
        Assert.Equal(2, await db.ResourceRevisions.CountAsync());
    }

    [Fact]
    public async Task ApplyManyAsync_InvalidEntry_ReturnsIssuesPrefixedWithIndexAndWritesNothing()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);

        var result = await service.ApplyManyAsync([Checkout(), RouteToUnknownService()], Alice);

        var invalid = Assert.IsType<ChangeResult.Invalid>(result);
        Assert.All(invalid.Validation.Errors, e => Assert.StartsWith("[1].", e.Path, StringComparison.Ordinal));
        Assert.Empty(await service.ListAsync());
        Assert.Equal(0, await db.AuditLog.CountAsync());
    }

    [Fact]
    public async Task DeleteAsync_CurrentVersion_RemovesRowAndLeavesTombstoneRevision()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);

        var result = await service.DeleteAsync(Checkout().Key, 1, Bob);

        Assert.IsType<ChangeResult.Applied>(result);
        Assert.Null(await service.GetAsync(Checkout().Key));
        var revisions = await service.ListRevisionsAsync(Checkout().Key);
        Assert.Equal([(1L, ChangeAction.Create, true), (2L, ChangeAction.Delete, false)],
            revisions.Select(r => (r.Version, r.Action, r.Resource is not null)).ToList());
    }

    [Fact]
    public async Task DeleteAsync_StaleVersion_ReturnsConflictAndKeepsResource()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(Checkout(version: 1, description: "edited"), Alice);

        var result = await service.DeleteAsync(Checkout().Key, 1, Bob);

        Assert.Equal(new ChangeResult.Conflict(Checkout().Key, 1, 2), result);
        Assert.NotNull(await service.GetAsync(Checkout().Key));
    }

    [Fact]
    public async Task ApplyAsync_CreateAfterDelete_ContinuesVersionSequence()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.DeleteAsync(Checkout().Key, 1, Alice);

        var result = await service.ApplyAsync(Checkout(), Alice);

        Assert.Equal(3, Assert.IsType<ChangeResult.Applied>(result).Resources[0].Resource.Metadata.Version);
    }

    [Fact]
    public async Task RevertAsync_EarlierVersion_WritesItsContentAsNewVersion()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(CheckoutRoute(canaryWeight: 10), Alice);
        await service.ApplyAsync(CheckoutRoute(canaryWeight: 50, version: 1), Alice);

        var result = await service.RevertAsync(CheckoutRoute(0).Key, toVersion: 1, expectedCurrentVersion: 2, Bob);

        Assert.IsType<ChangeResult.Applied>(result);
        var stored = (await service.GetAsync(CheckoutRoute(0).Key))!;
        Assert.Equal(MeshworkJson.Canonical(CheckoutRoute(canaryWeight: 10, version: 3)), MeshworkJson.Canonical(stored.Resource));
        var audit = await new AuditLog(new StoreSession(db)).QueryAsync(new AuditQuery { Kind = ResourceKind.HttpRoute, Take = 1 });
        Assert.Equal((ChangeAction.Revert, "bob", 2L, 3L), (audit[0].Action, audit[0].Actor, audit[0].VersionBefore, audit[0].VersionAfter));
    }

    [Fact]
    public async Task RevertAsync_DeletedResourceToLastLiveVersion_RestoresItAfterTheTombstone()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(Checkout(version: 1, description: "two"), Alice);
        await service.DeleteAsync(Checkout().Key, 2, Alice);

        var result = await service.RevertAsync(Checkout().Key, toVersion: 2, expectedCurrentVersion: 3, Bob);

        Assert.IsType<ChangeResult.Applied>(result);
        var stored = (await service.GetAsync(Checkout().Key))!;
        Assert.Equal(MeshworkJson.Canonical(Checkout(version: 4, description: "two")), MeshworkJson.Canonical(stored.Resource));
        Assert.Equal([ChangeAction.Create, ChangeAction.Update, ChangeAction.Delete, ChangeAction.Revert],
            (await service.ListRevisionsAsync(Checkout().Key)).Select(r => r.Action).ToList());
        Assert.True((await new AuditLog(new StoreSession(db)).VerifyChainAsync()).IsIntact);
    }

    [Fact]
    public async Task RevertAsync_DeletedResourceWithStaleTombstoneVersion_ReturnsConflict()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.DeleteAsync(Checkout().Key, 1, Alice);

        var result = await service.RevertAsync(Checkout().Key, toVersion: 1, expectedCurrentVersion: 1, Bob);

        Assert.Equal(new ChangeResult.Conflict(Checkout().Key, 1, 2), result);
        Assert.Null(await service.GetAsync(Checkout().Key));
    }

    [Fact]
    public async Task RevertAsync_ResourceThatNeverExisted_ReturnsNotFound()
    {
        await using var db = OpenContext();

        var result = await ServiceOver(db).RevertAsync(Checkout().Key, toVersion: 1, expectedCurrentVersion: 1, Bob);

        Assert.Equal(new ChangeResult.NotFound(Checkout().Key), result);
    }

    [Fact]
    public async Task RevertAsync_ChangedSinceRead_ReturnsConflict()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);
        await service.ApplyAsync(Checkout(version: 1, description: "two"), Alice);
        await service.ApplyAsync(Checkout(version: 2, description: "three"), Alice);

        var result = await service.RevertAsync(Checkout().Key, toVersion: 1, expectedCurrentVersion: 2, Bob);

        Assert.Equal(new ChangeResult.Conflict(Checkout().Key, 2, 3), result);
        Assert.Equal("three", ((Service)(await service.GetAsync(Checkout().Key))!.Resource).Description);
    }

    [Fact]
    public async Task RevertAsync_VersionThatNeverExisted_ReturnsInvalidNamingTheVersion()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);

        var result = await service.RevertAsync(Checkout().Key, toVersion: 7, expectedCurrentVersion: 1, Bob);

        var issue = Assert.Single(Assert.IsType<ChangeResult.Invalid>(result).Validation.Issues);
        Assert.Equal(("metadata.version", "version 7 of Service/default/checkout does not exist"), (issue.Path, issue.Message));
    }

    [Fact]
    public async Task Validate_RouteToStoredService_IsValidAndWritesNothing()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyAsync(Checkout(), Alice);

        var result = service.Validate([CheckoutRoute(canaryWeight: 30)]);

        Assert.True(result.IsValid, string.Join("; ", result.Issues));
        Assert.Null(await service.GetAsync(CheckoutRoute(0).Key));
    }

    [Fact]
    public async Task ListAsync_FilteredByKindAndNamespace_ReturnsOnlyMatches()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyManyAsync([Checkout(), CheckoutRoute(canaryWeight: 0),
            Checkout() with { Metadata = new ResourceMetadata { Name = "checkout", Namespace = "shop" } }], Alice);

        Assert.Equal(2, (await service.ListAsync(ResourceKind.Service)).Count);
        var inShop = Assert.Single(await service.ListAsync(ns: "shop"));
        Assert.Equal(new ResourceKey(ResourceKind.Service, "shop", "checkout"), inShop.Resource.Key);
    }

    [Fact]
    public async Task DeleteAsync_ServiceStillReferencedByRoute_ReturnsInvalidNamingTheRouteAndKeepsService()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyManyAsync([Checkout(), CheckoutRoute(canaryWeight: 10)], Alice);

        var result = await service.DeleteAsync(Checkout().Key, 1, Bob);

        var invalid = Assert.IsType<ChangeResult.Invalid>(result);
        Assert.NotEmpty(invalid.Validation.Errors);
        Assert.All(invalid.Validation.Errors, e =>
        {
            Assert.StartsWith("HttpRoute/default/checkout-route.", e.Path, StringComparison.Ordinal);
            Assert.StartsWith("HttpRoute/default/checkout-route would break: ", e.Message, StringComparison.Ordinal);
        });
        Assert.NotNull(await service.GetAsync(Checkout().Key));
        Assert.Equal(2, await db.AuditLog.CountAsync());
    }

    [Fact]
    public async Task ApplyAsync_ServiceDropsVersionARouteUses_ReturnsInvalidForTheRouteBackend()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyManyAsync([Checkout(), CheckoutRoute(canaryWeight: 10)], Alice);
        var withoutV2 = Checkout(version: 1) with { Versions = [new ServiceVersion { Name = "v1" }] };

        var result = await service.ApplyAsync(withoutV2, Bob);

        var error = Assert.Single(Assert.IsType<ChangeResult.Invalid>(result).Validation.Errors);
        Assert.StartsWith("HttpRoute/default/checkout-route.rules[0].backendRefs[1]", error.Path, StringComparison.Ordinal);
        Assert.Equal(2, ((Service)(await service.GetAsync(Checkout().Key))!.Resource).Versions.Count);
    }

    [Fact]
    public async Task DeleteAsync_UnreferencedService_IsApplied()
    {
        await using var db = OpenContext();
        var service = ServiceOver(db);
        await service.ApplyManyAsync([Checkout(), CheckoutRoute(canaryWeight: 10)], Alice);
        var other = Checkout() with { Metadata = new ResourceMetadata { Name = "inventory" } };
        await service.ApplyAsync(other, Alice);

        var result = await service.DeleteAsync(other.Key, 1, Bob);

        Assert.IsType<ChangeResult.Applied>(result);
    }
}
