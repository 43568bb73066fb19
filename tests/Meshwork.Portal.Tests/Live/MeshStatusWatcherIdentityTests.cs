using System.Net;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Model.Snapshots;
using Meshwork.Portal.Hosting;
using Meshwork.Portal.Live;
using Meshwork.Protocol.Status;
using Meshwork.Protocol.Transport;
using Meshwork.Testing.Certificates;
using Meshwork.Testing.Waiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Meshwork.Portal.Tests.Live;

/// <summary>
/// The portal's status watcher against real gRPC servers over TLS with certificates from the same
/// mesh CA: it opens the stream only to the one presenting the control plane's pinned SPIFFE id.
/// </summary>
public sealed class MeshStatusWatcherIdentityTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority ca = TestCertificateAuthority.Create();
    private readonly List<WebApplication> servers = [];
    private string bundleFile = "";

    public async Task InitializeAsync()
    {
        bundleFile = Path.Combine(Directory.CreateTempSubdirectory("meshwork-portal-identity-").FullName, "trust-bundle.pem");
        await File.WriteAllTextAsync(bundleFile, ca.RootPem);
    }

    [Fact]
    public async Task Watch_ServerWithAnotherMeshIdentity_IsRefusedAndNeverCalled()
    {
        var service = new TestMeshStatusService();
        var address = await StartAsync(service, ca.Issue(SnapshotCompiler.SpiffeId(ControlPlaneIdentity.DefaultTrustDomain, "default", "web")).Certificate);

        await WatchAsync(address, async state =>
        {
            await Eventually.HoldsAsync(() => Task.FromResult(state.Current.LastError is not null), "the refused connection");
            Assert.Equal(LiveConnection.Connecting, state.Current.Connection);
            Assert.Equal(0, service.Calls);
        });
    }

    [Fact]
    public async Task Watch_ServerWithTheControlPlaneIdentity_Connects()
    {
        var service = new TestMeshStatusService();
        var address = await StartAsync(service, ca.Issue(ControlPlaneIdentity.SpiffeIdFor(ControlPlaneIdentity.DefaultTrustDomain)).Certificate);

        await WatchAsync(address, async state =>
        {
            await service.SendAsync(new StatusUpdate { FullState = true, AtUnixMs = 1_000 });
            await Eventually.HoldsAsync(() => Task.FromResult(state.Current.Connection == LiveConnection.Connected), "the status stream");
            Assert.Equal(1, service.Calls);
        });
    }

    private async Task WatchAsync(string address, Func<MeshLiveData, Task> test)
    {
        var state = new MeshLiveData(address);
        var options = new PortalOptions { ControlPlane = { Address = address, TrustBundleFile = bundleFile } };
        using var watcher = new MeshStatusWatcher(state, Options.Create(options), NullLogger<MeshStatusWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        try
        {
            await test(state);
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }
    }

    private async Task<string> StartAsync(TestMeshStatusService service, X509Certificate2 certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            l.UseHttps(certificate);
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        var server = builder.Build();
        servers.Add(server);
        server.MapGrpcService<TestMeshStatusService>();
        await server.StartAsync();
        return server.Urls.Single().Replace("[::1]", "127.0.0.1");
    }

    public async Task DisposeAsync()
    {
        foreach (var server in servers)
            await server.DisposeAsync();
        ca.Dispose();
        Directory.Delete(Path.GetDirectoryName(bundleFile)!, recursive: true);
    }
}
