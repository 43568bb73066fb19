using Meshwork.Portal.Live;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Waiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Portal.Tests.Live;

/// <summary>
/// The portal's store watcher on a real PostgreSQL: pages that loaded before it listened (the portal serves them
/// before its background services run) hear a resync once it does, and every commit after that.
/// </summary>
public sealed class StoreChangeWatcherTests
{
    [Fact]
    public async Task StartingToListen_CountsAsAChange_ThenEveryCommitDoes()
    {
        var connectionString = await MigratedDatabase.CreateAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Meshwork"] = connectionString }).Build();
        var live = new MeshLiveData(null);
        using var watcher = new StoreChangeWatcher(configuration, live, NullLogger<ChangeListener>.Instance);

        await watcher.StartAsync(CancellationToken.None);
        try
        {
            // No commit yet: a change committed before LISTEN was active would be lost without this resync.
            await Eventually.HoldsAsync(() => Task.FromResult(live.ResourcesVersion == 1), "a resync once the watcher listens");

            await using (var db = MigratedDatabase.OpenSession(connectionString))
                Assert.IsType<ChangeResult.Applied>(await new ResourceService(db, TimeProvider.System).ApplyAsync(
                    new Meshwork.Model.Resources.Service { Metadata = new() { Name = "heard" }, Versions = [new() { Name = "v1" }] },
                    new ChangeActor("test", ChangeSource.Api)));
            await Eventually.HoldsAsync(() => Task.FromResult(live.ResourcesVersion >= 2), "the commit heard");
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }
    }
}
