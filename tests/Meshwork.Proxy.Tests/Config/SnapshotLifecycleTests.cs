using System.Net;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Processes;

namespace Meshwork.Proxy.Tests.Config;

[Collection(MeshCollection.Name)]
public sealed class SnapshotLifecycleTests(MeshFixture mesh)
{
    /// <summary>A proxy of its own (snapshots are pushed at it), routing reviews with the given split.</summary>
    private ProxySnapshot Snapshot(int outboundPort, long version, int v1Weight) =>
        SnapshotHash.WithHash(mesh.WebSnapshot(version, v1Weight, 100 - v1Weight) with
        {
            Identity = mesh.WebSnapshot(version).Identity with { ProxyId = "proxy-swapper" },
            Listeners = [new SnapshotListener { Name = "outbound", Kind = ListenerKind.Outbound, Port = outboundPort }],
        });

    [Fact]
    public async Task Swaps_FiftySnapshotsUnderConstantLoad_LoseNoRequestAndRestartServesLastGood()
    {
        var port = FreePort.Next();
        var state = Directory.CreateTempSubdirectory("meshwork-swap-").FullName;
        long lastVersion;
        await using (var proxy = await ProxyProcess.StartAsync(Snapshot(port, 1, 100), "proxy-swapper", state))
        {
            using var client = ProxyProcess.OutboundClient(port);
            using var stop = new CancellationTokenSource();
            long ok = 0;
            var failures = new List<string>();
            var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    using var response = await client.GetAsync("http://reviews/load");
                    if (response.IsSuccessStatusCode)
                        Interlocked.Increment(ref ok);
                    else
                    {
                        var failure = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                        lock (failures) failures.Add(failure);
                    }
                }
            })).ToArray();

            for (var version = 2; version <= 51; version++)
                await proxy.PushAsync(Snapshot(port, version, version % 2 == 0 ? 0 : 100));
            lastVersion = 51;
            await stop.CancelAsync();
            await Task.WhenAll(load);

            Assert.Empty(failures);
            Assert.True(ok > 50, $"only {ok} requests completed during the swaps");
            Assert.Equal(lastVersion, (await proxy.SnapshotInfoAsync()).GetProperty("version").GetInt64());
        }

        // No snapshot file this time: the proxy must serve what it last accepted (v51: everything to v1).
        await using var restarted = await ProxyProcess.StartAsync(Snapshot(port, 0, 0), "proxy-restarted", state, useFile: false);
        Assert.Equal(lastVersion, (await restarted.SnapshotInfoAsync()).GetProperty("version").GetInt64());
        using var again = ProxyProcess.OutboundClient(port);
        using var served = await again.GetAsync("http://reviews/after-restart");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("v1", (await MeshFixture.EchoAsync(served)).Version);
        ProxyProcess.DeleteDirectory(state);
    }

    [Fact]
    public async Task Push_InvalidSnapshot_RejectedAndPreviousKeepsServing()
    {
        var port = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(Snapshot(port, 1, 100), "proxy-nack");
        var good = Snapshot(port, 1, 100);
        var broken = SnapshotHash.WithHash(good with
        {
            Version = 2,
            Clusters = good.Clusters.Where(c => c.Name != "reviews.default|v1").ToArray(),
        });

        var info = await proxy.PushAsync(broken, expectAccepted: false);

        var last = info.GetProperty("lastResult");
        Assert.Contains(last.GetProperty("errors").EnumerateArray(), e => e.GetString()!.Contains("cluster 'reviews.default|v1' is not in the snapshot"));
        Assert.Equal(1, info.GetProperty("version").GetInt64());
        using var client = ProxyProcess.OutboundClient(port);
        using var response = await client.GetAsync("http://reviews/still-serving");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Push_TamperedHash_Rejected()
    {
        var port = FreePort.Next();
        await using var proxy = await ProxyProcess.StartAsync(Snapshot(port, 1, 100), "proxy-hash");
        var tampered = Snapshot(port, 2, 100) with { Hash = new string('0', 64) };
        var info = await proxy.PushAsync(tampered, expectAccepted: false);
        Assert.Contains(info.GetProperty("lastResult").GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith("hash:"));
    }
}
