using System.Security.Cryptography;
using Meshwork.Model.Resources;
using Meshwork.Portal.Deployments;
using Meshwork.Portal.Tests.Infrastructure;
using Meshwork.Store;
using Meshwork.Testing.Postgres;
using Meshwork.Testing.Waiting;

namespace Meshwork.Portal.Tests.Deployments;

/// <summary>
/// The local driver with Portal:Fleet:Local:NetworkNamespaces: real namespaces, nat rules, processes, a
/// control plane over PostgreSQL. The caller's "app" is curl run in the caller instance's namespace with no
/// proxy setting (its name resolves to any non-loopback address: only interception brings the request to
/// the mesh). Random service names and pool, so a rerun does not meet a leftover.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(NetworkNamespaceCollection.Name)]
public sealed class NetworkNamespaceFleetTests(NamespacedFleetMesh fixture) : IClassFixture<NamespacedFleetMesh>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(180);
    private static readonly ChangeActor Operator = new("operator@meshwork.test", ChangeSource.Portal);
    private readonly FleetMesh mesh = fixture.Mesh;
    private readonly string run = Convert.ToHexString(RandomNumberGenerator.GetBytes(2)).ToLowerInvariant();
    private string DenyPolicy => "deny-private-" + run;
    private System.Net.IPNetwork Pool => options.Pool!.Value;
    private readonly NetworkNamespaceOptions options = new() { Enabled = true, Subnet = $"10.{RandomNumberGenerator.GetInt32(215, 250)}.0.0/16" };

    [Fact]
    public async Task PlainRequestFromANamespacedApp_CrossesBothSidecarsWithMtls_SplitAndDenyApply_TheAppPortRefusesAClientWithoutAMeshCertificate_ReadoptedAfterARestart_RemovedWithTheInstance()
    {
        var service = $"hotel-{run}";
        var caller = $"india-{run}";
        await DeclareAsync(service, caller);
        var state = mesh.StateDirectory + "-netns-" + run;
        var ids = new[] { $"{service}-v1-1", $"{service}-v2-1", $"{caller}-v1-1" };
        var first = mesh.NewDriver(state, keepRunning: true, networkNamespaces: options);
        LocalProcessDriver? second = null;
        try
        {
            await first.StartAsync(CancellationToken.None);
            foreach (var (name, version) in new[] { (service, "v1"), (service, "v2"), (caller, "v1") })
            {
                var deployed = await first.DeployAsync(new DeployRequest(name, version, 1), Operator);
                Assert.True(deployed.Succeeded, string.Join("; ", deployed.Errors));
            }
            var running = first.Instances.ToDictionary(i => i.Id);
            // Running, as the Fleet page shows them: each app answered its health probe, sent from inside its namespace.
            Assert.All(ids, id => Assert.Equal(InstanceState.Running, running[id].State));

            // From the host, v1's app port leads to its sidecar's inbound listener, not to the app: a plain request gets
            // no answer, and a TLS client is shown the sidecar's mesh certificate and, having none of its own, is refused.
            var appAddress = NetworkOf(state, ids[0]).NamespaceAddress;
            using (var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
                await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync($"http://{appAddress}:{running[ids[0]].AppPort}/health"));
            var (presented, answered) = await CallWithoutCertificateAsync(appAddress, running[ids[0]].AppPort);
            Assert.EndsWith($"/ns/default/sa/{service}", presented);
            Assert.False(answered, "a client without a mesh certificate got an answer through the app's port");

            // Each app and its sidecar run in the instance's own namespace; the app has no HTTP_PROXY, the sidecar the exempt gid.
            foreach (var id in ids)
            {
                Assert.Equal("mw-" + id, await NamespaceOfAsync(running[id].AppPid!.Value));
                Assert.Equal("mw-" + id, await NamespaceOfAsync(running[id].SidecarPid!.Value));
                Assert.DoesNotContain(File.ReadAllText($"/proc/{running[id].AppPid}/environ").Split('\0'), e => e.StartsWith("HTTP_PROXY=", StringComparison.Ordinal));
                Assert.Contains(File.ReadAllLines($"/proc/{running[id].SidecarPid}/status"), l => l.StartsWith("Gid:", StringComparison.Ordinal) && l.Split('\t')[1] == options.ProxyGid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            // The shop's service names resolve in the namespaces (the demo roles call each other by name), to the veth's host end.
            Assert.StartsWith($"{NetworkOf(state, ids[2]).HostAddress} ",
                (await HostCommand.RunAsync([.. NetworkNamespaceLauncher.Exec(NetworkOf(state, ids[2])), "getent", "hosts", "catalog"])).Output);

            // A plain request from the caller's namespace: intercepted by its sidecar, 50/50 to v1 and v2 over mTLS.
            var servedBy = new HashSet<string>();
            await Eventually.HoldsAsync(async () =>
            {
                var (status, header) = await CurlFromAsync(state, ids[2], service, "/", "x-served-by");
                if (status == "200") servedBy.Add(header);
                return servedBy.IsSupersetOf([ids[0], ids[1]]);
            }, "requests from the caller's namespace served by v1 and v2 (the split)", Generous);
            // The DENY policy applies to it: 403 naming the policy.
            Assert.Equal(("403", DenyPolicy), await CurlFromAsync(state, ids[2], service, "/private/data", "x-meshwork-denied-by"));
            // v1's sidecar saw the caller's certificate: the source is the caller's SPIFFE identity. Its admin port is
            // read at the namespace's address, as the portal's probes read it.
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
                Assert.Matches($"meshwork_proxy_requests_total\\{{direction=\"inbound\",source_service=\"{caller}\",destination_service=\"{service}\"",
                    await http.GetStringAsync($"http://{NetworkOf(state, ids[0]).NamespaceAddress}:{running[ids[0]].AdminPort}/metrics"));

            // A new portal re-adopts the processes started under `ip netns exec`, keeps their namespaces and sweeps a stale one.
            var stale = InstanceNetwork.For($"stale-{run}", Pool, InstanceNetwork.BlocksPerPool - 1);
            await new NetworkNamespaceLauncher().CreateAsync(stale);
            await first.StopAsync(CancellationToken.None);
            first.Dispose();
            second = mesh.NewDriver(state, keepRunning: false, networkNamespaces: options);
            await second.StartAsync(CancellationToken.None);
            var adopted = second;
            await Eventually.HoldsAsync(() => Task.FromResult(ids.All(id => adopted.Instances.Any(i => i.Id == id && i.State == InstanceState.Running))),
                "every re-adopted instance running", Generous);
            foreach (var id in ids)
            {
                var again = second.Instances.Single(i => i.Id == id);
                Assert.Equal((running[id].AppPid, running[id].SidecarPid, 0), (again.AppPid, again.SidecarPid, again.Restarts));
            }
            var present = await new NetworkNamespaceLauncher().ListInstancesAsync();
            Assert.DoesNotContain(stale.InstanceId, present);
            Assert.Subset(present.ToHashSet(), ids.ToHashSet());
            Assert.Equal(("403", DenyPolicy), await CurlFromAsync(state, ids[2], service, "/private/data", "x-meshwork-denied-by"));

            // Removing an instance removes its namespace and the host end of its veth.
            var removed = NetworkOf(state, ids[0]);
            Assert.True((await second.ScaleAsync(service, "v1", 0, Operator)).Succeeded);
            Assert.DoesNotContain(ids[0], await new NetworkNamespaceLauncher().ListInstancesAsync());
            Assert.NotEqual(0, (await HostCommand.RunAsync("ip", "link", "show", removed.HostLink)).ExitCode);
            Assert.False(Directory.Exists("/etc/netns/" + removed.Namespace), "its hosts file went with it");
        }
        finally
        {
            if (second is null)
            {
                await first.StopAsync(CancellationToken.None);
                first.Dispose();
            }
            else
            {
                await second.StopAsync(CancellationToken.None);
                second.Dispose();
            }
            await RemoveNamespacesAsync([.. ids, $"stale-{run}"]);
        }
    }

    /// <summary>Shutdown keeps namespaces (the instances come back at the next start): a test's go at its end.</summary>
    private async Task RemoveNamespacesAsync(IReadOnlyList<string> ids)
    {
        var launcher = new NetworkNamespaceLauncher();
        foreach (var id in ids)
            await launcher.RemoveAsync(InstanceNetwork.For(id, Pool, 0));
    }

    [Fact]
    public async Task TheShopsCatalogWithoutHttpProxy_CallsPricingByNameThroughTheMesh_ForACallerOnTheHost()
    {
        await mesh.DeclareAsync("catalog", ["v1"]);
        await mesh.DeclareAsync("pricing", ["v1"]);
        string[] ids = ["catalog-v1-1", "pricing-v1-1"];
        var state = mesh.StateDirectory + "-netns-" + run;
        var driver = mesh.NewDriver(state, keepRunning: false, networkNamespaces: options);
        try
        {
            await driver.StartAsync(CancellationToken.None);
            foreach (var service in new[] { "pricing", "catalog" })
            {
                var deployed = await driver.DeployAsync(new DeployRequest(service, "v1", 1), Operator);
                Assert.True(deployed.Succeeded, string.Join("; ", deployed.Errors));
            }

            // A sidecar on the host reaches catalog at its namespace address; catalog's own call to http://pricing/
            // (the demo role's, no HTTP_PROXY) resolves by the namespace's hosts file and is intercepted into the mesh.
            await using var caller = await mesh.CallerAsync($"caller-{run}");
            using var client = caller.OutboundClient();
            var body = "";
            await Eventually.HoldsAsync(async () =>
            {
                using var response = await client.GetAsync("http://catalog/products/1");
                body = await response.Content.ReadAsStringAsync();
                return response.IsSuccessStatusCode;
            }, "catalog answered with a price from pricing", Generous);
            Assert.Contains("\"currency\":\"EUR\"", body);
            var pricing = driver.Instances.Single(i => i.Id == "pricing-v1-1");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            Assert.Matches("meshwork_proxy_requests_total\\{direction=\"inbound\",source_service=\"catalog\",destination_service=\"pricing\"",
                await http.GetStringAsync($"http://{NetworkOf(state, "pricing-v1-1").NamespaceAddress}:{pricing.AdminPort}/metrics"));
        }
        finally
        {
            await driver.StopAsync(CancellationToken.None);
            driver.Dispose();
            await RemoveNamespacesAsync(ids);
        }
    }

    [Fact]
    public async Task BadNamespaceSettings_StopThePortalsStart_NamingEachSetting()
    {
        var settings = mesh.Settings(mesh.StateDirectory + "-refused-" + run, keepRunning: false);
        settings["Portal:Fleet:Local:NetworkNamespaces:Enabled"] = "true";
        settings["Portal:Fleet:Local:NetworkNamespaces:Subnet"] = "10.214.0.0/24";
        settings["Portal:Fleet:Local:NetworkNamespaces:ProxyGid"] = "0";
        await using var portal = new PortalFactory { Settings = settings };

        var error = (await Assert.ThrowsAnyAsync<Exception>(portal.InitializeAsync)).ToString();

        Assert.Contains("Portal:Fleet:Local:NetworkNamespaces:Subnet '10.214.0.0/24' must be an IPv4 /16 network", error);
        Assert.Contains("Portal:Fleet:Local:NetworkNamespaces:ProxyGid 0 must be a gid", error);
    }

    /// <summary>The service with v1 and v2 split 50/50 and a DENY on /private*, and the caller service.</summary>
    private async Task DeclareAsync(string service, string caller)
    {
        await mesh.DeclareAsync(service, ["v1", "v2"]);
        await mesh.DeclareAsync(caller, ["v1"]);
        await using var db = MigratedDatabase.OpenSession(mesh.Portal.ConnectionString);
        var store = new ResourceService(db, TimeProvider.System);
        var actor = new ChangeActor("fleet-test", ChangeSource.Api);
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(FleetMesh.Route(service, [("v1", 50), ("v2", 50)], version: 0), actor));
        Assert.IsType<ChangeResult.Applied>(await store.ApplyAsync(new AccessPolicy
        {
            Metadata = new ResourceMetadata { Name = DenyPolicy },
            Service = service,
            Action = AccessAction.Deny,
            Rules = [new AccessRule { To = [new AccessOperation { Paths = ["/private*"] }] }],
        }, actor));
    }

    /// <summary>
    /// curl inside <paramref name="instance"/>'s namespace, no proxy setting, the name resolving to the host end
    /// of its veth (any address but loopback is intercepted): the status and one response header.
    /// </summary>
    private async Task<(string Status, string Header)> CurlFromAsync(string state, string instance, string service, string path, string header)
    {
        var network = NetworkOf(state, instance);
        var result = await HostCommand.RunAsync([.. NetworkNamespaceLauncher.Exec(network), "curl", "-sS", "--noproxy", "*", "--max-time", "30",
            "--resolve", $"{service}:80:{network.HostAddress}", "-o", "/dev/null", "-w", $"%{{http_code}} %header{{{header}}}", $"http://{service}{path}"]);
        var parts = result.Output.Split(' ', 2);
        return (parts[0], parts.Length > 1 ? parts[1].Trim() : "");
    }

    /// <summary>
    /// A TLS client without a certificate at <paramref name="address"/>:<paramref name="port"/>, asking for /health: the
    /// SPIFFE id of the certificate the server presented, and whether any response came back.
    /// </summary>
    private static async Task<(string? Presented, bool Answered)> CallWithoutCertificateAsync(System.Net.IPAddress address, int port)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address, port);
        string? presented = null;
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            using var server = certificate is null ? null : new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate);
            presented = server is null ? null : Meshwork.Protocol.Transport.SpiffeCertificateId.Read(server);
            return true;
        });
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "app" }, timeout.Token);
            await tls.WriteAsync("GET /health HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n"u8.ToArray(), timeout.Token);
            return (presented, await tls.ReadAsync(new byte[1024], timeout.Token) > 0);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
        {
            return (presented, false);
        }
    }

    private InstanceNetwork NetworkOf(string state, string instance) =>
        InstanceNetwork.For(instance, Pool, InstanceSpec.Load(Path.Combine(state, instance)).NetworkBlock!.Value);

    private static async Task<string> NamespaceOfAsync(int pid) => (await HostCommand.RunAsync("ip", "netns", "identify", pid.ToString(System.Globalization.CultureInfo.InvariantCulture))).Output.Trim();
}
