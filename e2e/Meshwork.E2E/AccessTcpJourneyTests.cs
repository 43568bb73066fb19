using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Meshwork.Model.Resources;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Tcp;
using Meshwork.Testing.Waiting;
using Microsoft.Playwright;
using static Meshwork.Testing.Metrics.PrometheusSamples;

namespace Meshwork.E2E;

/// <summary>
/// L4 on the Access page over a real mesh: a TCP app ("echo") behind its sidecar, reached through the caller's ("web")
/// sidecar on a TcpRoute's port, so every connection is a real relay between two sidecars over mTLS. The page shows the
/// TCP connections observed; an Admin applies a DENY for web's identity from the page; the echo sidecar then really
/// refuses a new connection (closed with no greeting and no echo, counted as denied), and "Can A call B?" with TCP
/// says the connection is denied by that policy.
/// </summary>
public sealed class AccessTcpJourneyTests : IAsyncLifetime
{
    private const string Deny = "echo-no-tcp-from-web";
    private static readonly TimeSpan Converge = DemoMesh.Converge;
    private static readonly float WaitMs = DemoMesh.WaitMs;
    private readonly int routePort = FreePort.Next();

    private DemoMesh? mesh;
    private MeshProxy? echoSidecar;

    public async Task InitializeAsync()
    {
        mesh = await DemoMesh.StartAsync(
        [
            new Service { Metadata = new ResourceMetadata { Name = "web" }, Versions = [new ServiceVersion { Name = "v1" }] },
            new Service { Metadata = new ResourceMetadata { Name = "echo" }, Versions = [new ServiceVersion { Name = "v1" }] },
            new TcpRoute
            {
                Metadata = new ResourceMetadata { Name = "echo-tcp" },
                Service = "echo",
                Port = routePort,
                Rules = [new TcpRouteRule { BackendRefs = [new BackendRef { Service = "echo", Version = "v1", Weight = 100 }] }],
            },
        ]);
        echoSidecar = await mesh.StartTcpEchoAsync("echo", "v1");
    }

    public async Task DisposeAsync()
    {
        if (mesh is not null) await mesh.DisposeAsync();
    }

    /// <summary>A connection from web's app to the route's port on web's own sidecar (the relay's outbound side).</summary>
    private Task<TcpTestConnection> ConnectAsync() =>
        TcpTestConnection.OpenAsync(IPAddress.Parse(mesh!.Caller.TcpBindAddress), routePort);

    /// <summary>One connection through both sidecars to the echo app: its greeting, then a payload echoed intact.</summary>
    private async Task<bool> RelayedAsync()
    {
        try
        {
            await using var connection = await ConnectAsync();
            if (await connection.ReadLineAsync() != "v1") return false;
            var payload = RandomNumberGenerator.GetBytes(64 * 1024);
            var echoed = await connection.EchoAsync(payload);
            return payload.AsSpan().SequenceEqual(echoed);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// One connection that sends a payload and gets nothing back (no greeting, no echo) before it is closed (end of
    /// stream or reset); false when the app's greeting arrives (relayed). A connection left open past the read timeout
    /// throws, failing the journey.
    /// </summary>
    private async Task<bool> RefusedAsync()
    {
        await using var connection = await ConnectAsync();
        try
        {
            await connection.WriteAsync(RandomNumberGenerator.GetBytes(1024));
            return await connection.ReadLineAsync() == ""; // "" only at the end of the stream with no byte read
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.Shutdown })
        {
            return true; // reset by the refusing side, before or after the payload went out: still nothing came back
        }
    }

    /// <summary>Connections through the route until the journey ends, so the page has live TCP calls to observe.</summary>
    private async Task BackgroundConnectionsAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await RelayedAsync();
            try
            {
                await Task.Delay(200, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    [Fact]
    public async Task Admin_SeesTcpCalls_DeniesThemFromThePage_TheSidecarRefusesTheNextConnection_AndTheSimulatorSaysWhy()
    {
        await Eventually.HoldsAsync(RelayedAsync, "a TCP connection relayed through web's and echo's sidecars to the echo app", Converge);
        var (page, consoleErrors) = await mesh!.NewPageAsync();
        using var traffic = new CancellationTokenSource();
        var background = BackgroundConnectionsAsync(traffic.Token);
        try
        {
            // The matrix marks the observed TCP connections from web to echo, allowed by the mesh default.
            await mesh.SignInAsync(page, "/access");
            var cell = page.Locator("[data-testid=cell-default-web--default-echo]");
            await Assertions.Expect(cell).ToHaveAttributeAsync("data-tcp-verdict", "DefaultAllowed", new() { Timeout = WaitMs });
            await Assertions.Expect(cell).ToContainTextAsync("TCP");
            await mesh.ScreenshotAsync(page, "access-tcp-01-observed");

            // A DENY on web's identity, tried first: the page names the TCP calls it would deny.
            await page.FillAsync("textarea[data-testid=access-pending]",
                $"kind: AccessPolicy\nmetadata:\n  name: {Deny}\nservice: echo\naction: deny\nrules:\n  - from:\n      - services: [web]\n");
            await Assertions.Expect(page.Locator("[data-testid=access-would-deny]")).ToContainTextAsync($"TCP connection denied by '{Deny}'");
            await Assertions.Expect(cell).ToHaveAttributeAsync("data-tcp-verdict", "Denied");
            Assert.True(await RelayedAsync(), "trying the change must not change the mesh");

            await page.ClickAsync("[data-testid=access-apply]");
            await Assertions.Expect(page.Locator("[data-testid=outcome]")).ToContainTextAsync($"Applied AccessPolicy/default/{Deny}");
            var sync = page.Locator("[data-testid=access-matrix-sync] [data-testid=sync-progress]");
            await Assertions.Expect(sync).ToHaveAttributeAsync("data-complete", "true", new() { Timeout = WaitMs });
            await traffic.CancelAsync();
            await background;

            // echo's sidecar enforces it: a new connection gets neither the greeting nor its payload back, and the
            // sidecar counts it as denied for web (so the refusal was the policy, not a broken route).
            await Eventually.HoldsAsync(RefusedAsync, "a new TCP connection from web refused by echo's sidecar", Converge);
            Assert.True(await RefusedAsync(), "every later connection is refused too");
            var metrics = await echoSidecar!.MetricsAsync();
            Assert.True(Sum(metrics, "meshwork_proxy_tcp_refused_total",
                    "direction=\"inbound\",source_service=\"web\",destination_service=\"echo\",destination_version=\"v1\",route=\"\",reason=\"denied\"") >= 2,
                "echo's sidecar counts the refused connections as denied for web:\n" + metrics);

            // "Can A call B?" with TCP: denied by that policy, judged as the sidecar judged it.
            await page.GetByText("TCP connection (TcpRoute)").ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=sim-path]")).ToHaveCountAsync(0);
            await page.Locator("input[data-testid=sim-source], [data-testid=sim-source] input").FillAsync("web");
            await page.Locator("input[data-testid=sim-destination], [data-testid=sim-destination] input").FillAsync("echo");
            await page.ClickAsync("[data-testid=sim-check]");
            var result = page.Locator("[data-testid=sim-result]");
            await Assertions.Expect(result).ToHaveAttributeAsync("data-decided-by", Deny);
            await Assertions.Expect(result).ToContainTextAsync($"Denied: DENY policy '{Deny}' matched");
            await mesh.ScreenshotAsync(page, "access-tcp-02-denied");
            Assert.True(consoleErrors.Count == 0, "browser console errors: " + string.Join(" | ", consoleErrors));
        }
        catch (Exception e)
        {
            throw await mesh.JourneyFailedAsync(page, "access-tcp", e, $"echo sidecar output:\n{echoSidecar!.Output}\nweb sidecar output:\n{mesh.Caller.Output}");
        }
        finally
        {
            await traffic.CancelAsync();
            await background;
        }
    }
}
