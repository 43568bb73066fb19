using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;
using System.Diagnostics;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Meshwork.ControlPlane.Tests.Mesh;

/// <summary>Real proxies, real backends, real control plane and Postgres: configuration reaches traffic.</summary>
[Collection(MeshCollection.Name)]
public sealed class MeshTrafficTests(MeshFixture mesh, ITestOutputHelper output) : IClassFixture<MeshFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RouteChange_ThroughResourceService_EveryProxyAcksAndTrafficFollows()
    {
        using var client = mesh.Web.OutboundClient();
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        await MeshFixture.WaitForServedByAsync(client, "orders-v1-a", Generous);

        var stopwatch = Stopwatch.StartNew();
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v2"));
        var converged = await MeshFixture.WaitForServedByAsync(client, "orders-v2-a", Generous);
        output.WriteLine($"route change at {DateTime.UtcNow - converged:HH:mm:ss.fff}, traffic on v2 after {converged.TotalMilliseconds:0} ms");

        await using var status = new StatusWatcher(mesh.ControlPlane);
        foreach (var proxy in mesh.Proxies)
        {
            await status.WaitUntilAsync(s => s.Proxy(proxy.Id) is { Connected: true } p && p.AckedVersion == p.SentVersion && p.AckedVersion > 0,
                Generous, $"{proxy.Id} in sync");
            var served = await proxy.SnapshotInfoAsync();
            Assert.Equal(status.Proxy(proxy.Id)!.AckedVersion, served.GetProperty("version").GetInt64());
        }
        for (var i = 0; i < 20; i++) Assert.Equal("orders-v2-a", await MeshFixture.ServedByAsync(client));
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
    }

    [Fact]
    public async Task NewInstance_Joining_IsReachedByCallers()
    {
        using var client = mesh.Web.OutboundClient();
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        await MeshFixture.WaitForServedByAsync(client, "orders-v1-a", Generous);
        await using var backend = await DemoBackendProcess.StartAsync("orders", "v1", "orders-v1-b");

        var stopwatch = Stopwatch.StartNew();
        await using var joined = await MeshProxy.StartAsync(mesh.ControlPlane, mesh.Token, "orders-v1-2", "orders", "v1", backend.Address);
        var ready = stopwatch.Elapsed;
        while (await MeshFixture.ServedByAsync(client) != "orders-v1-b")
            Assert.True(stopwatch.Elapsed < Generous, "the new instance was never reached");
        output.WriteLine($"new instance: proxy process ready after {ready.TotalMilliseconds:0} ms, reached by the caller after {stopwatch.ElapsedMilliseconds} ms " +
                         $"({(stopwatch.Elapsed - ready).TotalMilliseconds:0} ms after its proxy was serving)");

        // A connected proxy stopped the way docker and Kubernetes stop it shuts down cleanly.
        Assert.Equal(0, await joined.TerminateAsync());
    }

    [Fact]
    public async Task MalformedHello_FromOneProxy_IsRefusedAlone_ThatProxyKeepsItsLastGoodSnapshot_OthersKeepConverging()
    {
        using var client = mesh.Web.OutboundClient();
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v2"));
        await MeshFixture.WaitForServedByAsync(client, "orders-v2-a", Generous);
        // What it serves once nothing more is on its way: the route change (and the registry's news of the
        // previous test's restarts) can still reach this proxy after the web sidecar already routes by it.
        var before = await mesh.OrdersV2.SnapshotInfoAsync();
        for (var settled = DateTime.UtcNow + Generous; DateTime.UtcNow < settled;)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            var now = await mesh.OrdersV2.SnapshotInfoAsync();
            if (now.GetProperty("hash").GetString() == before.GetProperty("hash").GetString()) break;
            before = now;
        }

        // Restarted with an app address no snapshot could carry: the control plane refuses its Hello,
        // naming the field, instead of compiling it into a snapshot (which once made that proxy NACK).
        await mesh.OrdersV2.StopAsync();
        await mesh.OrdersV2.StartAsync(mesh.ControlPlane, mesh.Token, appAddress: "127.0.0.1:99999");
        try
        {
            var deadline = DateTime.UtcNow + Generous;
            string? error = null;
            while (DateTime.UtcNow < deadline)
            {
                error = await mesh.OrdersV2.ControlPlaneErrorAsync();
                if (error?.Contains("app_address") == true) break;
                await Task.Delay(100);
            }
            Assert.True(error?.Contains("app_address '127.0.0.1:99999'") == true, $"the proxy's last control plane error: {error}\n{mesh.Diagnostics()}");

            // It serves what it served before (its last good snapshot, from its state folder) ...
            var after = await mesh.OrdersV2.SnapshotInfoAsync();
            Assert.Equal(before.GetProperty("hash").GetString(), after.GetProperty("hash").GetString());
            // ... while every other proxy keeps receiving changes.
            await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
            await MeshFixture.WaitForServedByAsync(client, "orders-v1-a", Generous);
        }
        finally
        {
            await mesh.OrdersV2.StopAsync();
            await mesh.OrdersV2.StartAsync(mesh.ControlPlane, mesh.Token, appAddress: mesh.OrdersV2Backend.Address);
            await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        }
    }

    [Fact]
    public async Task ControlPlane_KilledUnderLoad_NoRequestFailsAndProxiesReconnectAndConverge()
    {
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        // A proxy an earlier test stopped stays an endpoint for its grace period (its requests fail):
        // start from a mesh where every request succeeds, so failures below are the restart's.
        using (var probe = mesh.Web.OutboundClient())
            await Eventually.HoldsAsync(() => AllSucceedAsync(probe, 20), "20 requests in a row served", Generous);

        await using (var load = new LoadLoop(mesh.Web.OutboundClient, "http://orders/"))
        {
            await Task.Delay(1000);
            await mesh.ControlPlane.KillAsync();
            await Task.Delay(3000);
            var during = load.Requests;
            await mesh.ControlPlane.StartAsync();

            await using var status = new StatusWatcher(mesh.ControlPlane);
            var stopwatch = Stopwatch.StartNew();
            foreach (var proxy in mesh.Proxies)
                await status.WaitUntilAsync(s => s.Proxy(proxy.Id) is { Connected: true } p && p.AckedVersion == p.SentVersion && p.SentVersion > 0,
                    Generous, $"{proxy.Id} reconnected and in sync");
            output.WriteLine($"all proxies reconnected and ACKed {stopwatch.ElapsedMilliseconds} ms after the restarted control plane was healthy");
            await Task.Delay(500);
            await load.DisposeAsync();
            output.WriteLine($"{load.Requests} requests ({during} before the restart), {load.Failures} failed");
            Assert.True(load.Failures == 0, string.Join("\n", load.FailureSamples) + "\n" + mesh.Diagnostics());
            Assert.True(load.Requests > 50, $"only {load.Requests} requests");
        }

        // Converged: a change made after the restart still reaches traffic.
        using var client = mesh.Web.OutboundClient();
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v2"));
        await MeshFixture.WaitForServedByAsync(client, "orders-v2-a", Generous);
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes
    public async Task Proxies_RestartedWhileControlPlaneIsDown_ServeMtlsWithTheirStoredKeyAndLastGoodSnapshot()
    {
        await mesh.ApplyAsync(MeshFixture.OrdersRoute("v1"));
        using (var probe = mesh.Web.OutboundClient()) await MeshFixture.WaitForServedByAsync(probe, "orders-v1-a", Generous);
        foreach (var proxy in mesh.Proxies)
        {
            // The key the proxy made is stored owner-only next to its last good snapshot, which holds
            // a certificate for exactly that key and no key of its own.
            var keyFile = Path.Combine(proxy.StateDirectory, "proxy-key.pem");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            using var key = System.Security.Cryptography.ECDsa.Create();
            key.ImportFromPem(await File.ReadAllTextAsync(keyFile));
            var stored = Meshwork.Protocol.Snapshots.SnapshotMapper.FromJson(await File.ReadAllTextAsync(Path.Combine(proxy.StateDirectory, "last-good-snapshot.json")));
            Assert.Equal("", stored.Certificates.PrivateKeyPem);
            using var leaf = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(stored.Certificates.CertificateChainPem);
            Assert.Equal(key.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());
        }
        var servedVersion = (await mesh.OrdersV1.SnapshotInfoAsync()).GetProperty("version").GetInt64();

        await mesh.ControlPlane.KillAsync();
        var served = false;
        try
        {
            // Both ends of the web -> orders mTLS hop come back with nothing but their state directory.
            await mesh.Web.StopAsync();
            await mesh.OrdersV1.StopAsync();
            await mesh.Web.StartAsync(mesh.ControlPlane, mesh.Token);
            await mesh.OrdersV1.StartAsync(mesh.ControlPlane, mesh.Token);

            Assert.Equal(servedVersion, (await mesh.OrdersV1.SnapshotInfoAsync()).GetProperty("version").GetInt64());
            using var client = mesh.Web.OutboundClient();
            try
            {
                await MeshFixture.WaitForServedByAsync(client, "orders-v1-a", Generous);
            }
            catch (TimeoutException)
            {
                output.WriteLine(mesh.Diagnostics());
                throw;
            }
            served = true;
        }
        finally
        {
            await mesh.ControlPlane.StartAsync();
            // After a failure the restarted proxies may not be running or serving: start them again
            // against the control plane so the other tests of this mesh find it whole.
            if (!served)
            {
                foreach (var proxy in new[] { mesh.Web, mesh.OrdersV1 })
                {
                    await proxy.StopAsync();
                    await proxy.StartAsync(mesh.ControlPlane, mesh.Token);
                }
            }
            await using var status = new StatusWatcher(mesh.ControlPlane);
            foreach (var proxy in mesh.Proxies)
                await status.WaitUntilAsync(s => s.Proxy(proxy.Id) is { Connected: true } p && p.AckedVersion == p.SentVersion && p.SentVersion > 0,
                    Generous, $"{proxy.Id} reconnected and in sync");
        }
    }

    private static async Task<bool> AllSucceedAsync(HttpClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync("http://orders/");
            if (!response.IsSuccessStatusCode)
                return false;
        }
        return true;
    }
}
