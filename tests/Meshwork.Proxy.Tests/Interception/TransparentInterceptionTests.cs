using System.Text.RegularExpressions;
using Meshwork.Testing.Waiting;
using static Meshwork.Testing.Metrics.PrometheusSamples;

namespace Meshwork.Proxy.Tests.Interception;

/// <summary>
/// A plain app in its own network namespace (curl, bash: no HTTP_PROXY) goes through its sidecar
/// because the nat rules redirect its connections: the mesh's mTLS, access policy and weighted
/// split apply to it, over HTTP and, for a connection to a TcpRoute's destination, over TCP; a
/// protocol the mesh does not know passes through as TCP, counted, and closed once idle.
/// </summary>
public sealed class TransparentInterceptionTests(InterceptionMesh mesh) : IClassFixture<InterceptionMesh>
{
    [Fact]
    public Task UnknownProtocolPassesThroughAsTcpAndIsCounted() => PassthroughAsync(mesh);

    [Fact]
    public async Task PlainAppReachesTheServiceThroughBothSidecarsWithMutualTls()
    {
        var result = await mesh.CurlAsync("secure", "/hello");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.True(result.Output == "secure-app got 0 bytes 200\n", $"curl: {result.Output}{Environment.NewLine}web sidecar: {mesh.Web.Output}{Environment.NewLine}secure sidecar: {mesh.Secure.Process.Output}");
        // The destination's sidecar saw the caller's certificate: the source is web's SPIFFE identity. A proxy counts a
        // request once its pipeline has finished, which on a loaded machine can be after curl has the whole answer.
        await Eventually.HoldsAsync(async () =>
                Regex.IsMatch(await mesh.Secure.MetricsAsync(), "meshwork_proxy_requests_total\\{direction=\"inbound\",source_service=\"web\",destination_service=\"secure\"[^}]*status_class=\"2xx\"") &&
                Regex.IsMatch(await mesh.WebMetricsAsync(), "meshwork_proxy_requests_total\\{direction=\"outbound\",source_service=\"web\",destination_service=\"secure\""),
            "the secure sidecar counts an inbound request from web's identity, and the web sidecar the outbound one");
    }

    [Fact]
    public async Task AccessPolicyDeniesThePlainApp()
    {
        var result = await mesh.CurlAsync("secure", "/private/data");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.StartsWith("RBAC: access denied", result.Output);
        Assert.EndsWith(" 403\n", result.Output);
        Assert.Contains(InterceptionMesh.DenyPolicy, result.Output);
    }

    [Fact]
    public async Task WeightedSplitSpreadsThePlainAppsRequests()
    {
        var result = await mesh.CurlAsync("reviews", Enumerable.Range(0, 40).Select(i => $"/r{i}").ToArray());

        Assert.True(result.ExitCode == 0, result.Error);
        var answers = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(40, answers.Length);
        Assert.All(answers, answer => Assert.Matches("^reviews-v[12] got 0 bytes 200$", answer));
        // 50/50: both versions get some of 40 (all to one has a chance of 2^-39).
        Assert.Contains(answers, a => a.StartsWith("reviews-v1", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.StartsWith("reviews-v2", StringComparison.Ordinal));
        Assert.Equal(40, mesh.ReviewsV1.Received.Count + mesh.ReviewsV2.Received.Count);
    }

    [Fact]
    public async Task PlainTcpClientDialingTheRoutesDestinationTakesTheTcpRoute_SplitOverMutualTlsWithTheCallersIdentity()
    {
        const int connections = 20;
        var webBefore = await mesh.WebMetricsAsync();
        var inboundBefore = await TcpEchoInboundFromWebAsync();

        // Each connection: the version line tcpecho's app writes first, then the echo of what bash sent.
        var result = await mesh.Namespace.RunInsideAsync("bash", "-c",
            $"for i in $(seq {connections}); do exec 3<>/dev/tcp/{mesh.Namespace.HostAddress}/{mesh.TcpRoutePort}; printf 'ping\\n' >&3; " +
            "read -r version <&3; read -r answer <&3; echo \"$version $answer\"; exec 3>&-; done");

        Assert.True(result.ExitCode == 0, $"{result.Error}{Environment.NewLine}web sidecar: {mesh.Web.Output}");
        var answers = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(connections, answers.Length);
        Assert.All(answers, answer => Assert.Matches("^v[12] ping$", answer));
        // 50/50: both versions get some of 20 (all to one has a chance of 2^-19). Nothing listens on the host at
        // the route's port: only the route can have answered.
        Assert.Contains("v1 ping", answers);
        Assert.Contains("v2 ping", answers);
        // The destination sidecars saw web's SPIFFE identity; the web sidecar counted the route's connections as its own.
        await Eventually.HoldsAsync(async () =>
                await TcpEchoInboundFromWebAsync() >= inboundBefore + connections &&
                Sum(await mesh.WebMetricsAsync(), "meshwork_proxy_tcp_connections_total", RouteEdge) >= Sum(webBefore, "meshwork_proxy_tcp_connections_total", RouteEdge) + connections,
            "the tcpecho sidecars count inbound connections from web, and the web sidecar outbound ones on the route");
        Assert.Equal(Value(webBefore, "connections_total"), Value(await mesh.WebMetricsAsync(), "connections_total"));
    }

    [Fact]
    public async Task ConnectionToARoutesPortAtAnAddressTheMeshDoesNotKnowPassesThrough()
    {
        var before = await mesh.WebMetricsAsync();

        var result = await mesh.Namespace.RunInsideAsync("bash", "-c",
            $"exec 3<>/dev/tcp/{mesh.UnknownAddress}/{mesh.TcpRoutePort}; printf 'HELO outside\\n' >&3; read -r line <&3; echo \"$line\"; exec 3>&-");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("echo: HELO outside\n", result.Output);
        await Eventually.HoldsAsync(async () => Value(await mesh.WebMetricsAsync(), "connections_total") == Value(before, "connections_total") + 1,
            "the web sidecar counts one passthrough connection");
        Assert.Equal(Sum(before, "meshwork_proxy_tcp_connections_total", RouteEdge), Sum(await mesh.WebMetricsAsync(), "meshwork_proxy_tcp_connections_total", RouteEdge));
    }

    [Fact]
    public async Task DenyPolicyOnTheCallersIdentityClosesAnInterceptedRouteConnection()
    {
        const string denied = "direction=\"inbound\",source_service=\"web\",destination_service=\"secure\",destination_version=\"v1\",route=\"\",reason=\"denied\"";
        var before = Sum(await mesh.Secure.MetricsAsync(), "meshwork_proxy_tcp_refused_total", denied);

        var result = await mesh.Namespace.RunInsideAsync("bash", "-c",
            $"exec 3<>/dev/tcp/{mesh.Namespace.HostAddress}/{mesh.SecureTcpRoutePort}; printf 'ping\\n' >&3; " +
            "if read -r line <&3; then echo \"read: $line\"; else echo closed; fi");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("closed\n", result.Output);
        await Eventually.HoldsAsync(async () => Sum(await mesh.Secure.MetricsAsync(), "meshwork_proxy_tcp_refused_total", denied) >= before + 1,
            "the secure sidecar counts the connection from web's identity as denied");
    }

    [Fact]
    public async Task IdlePassthroughConnectionIsClosedByTheSidecarAndCounted()
    {
        const string idle = "reason=\"idle_timeout\"";
        var before = Sum(await mesh.WebMetricsAsync(), "meshwork_proxy_tcp_passthrough_closed_total", idle);

        // After one exchange neither bash nor the echo server closes: only the sidecar's idle timeout can end the wait.
        var result = await mesh.Namespace.RunInsideAsync("bash", "-c",
            $"exec 3<>/dev/tcp/{mesh.Namespace.HostAddress}/{mesh.EchoPort}; printf 'HELO idle\\n' >&3; read -r line <&3; echo \"$line\"; " +
            "if read -r more <&3; then echo \"more: $more\"; else echo closed; fi");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("echo: HELO idle\nclosed\n", result.Output);
        await Eventually.HoldsAsync(async () => Sum(await mesh.WebMetricsAsync(), "meshwork_proxy_tcp_passthrough_closed_total", idle) >= before + 1,
            $"the web sidecar counts the passthrough it closed after {InterceptionMesh.PassthroughIdleTimeout} idle");
    }

    private static readonly string RouteEdge =
        $"direction=\"outbound\",source_service=\"web\",destination_service=\"tcpecho\",destination_version=\"v[12]\",route=\"{Regex.Escape(InterceptionMesh.TcpRouteName)}\"";

    private async Task<double> TcpEchoInboundFromWebAsync()
    {
        const string fromWeb = "direction=\"inbound\",source_service=\"web\",destination_service=\"tcpecho\",destination_version=\"v[12]\",route=\"\"";
        return Sum(await mesh.TcpEchoSidecarV1.MetricsAsync(), "meshwork_proxy_tcp_connections_total", fromWeb) +
            Sum(await mesh.TcpEchoSidecarV2.MetricsAsync(), "meshwork_proxy_tcp_connections_total", fromWeb);
    }

    /// <summary>A line protocol from bash in the namespace reaches the echo server through the sidecar, counted.</summary>
    internal static async Task PassthroughAsync(InterceptionMesh mesh)
    {
        // An earlier test's passthrough may still be ending on a loaded machine (its client is done, the relay not yet):
        // its duration would land after `before` and the exact counts below could never hold.
        await Eventually.HoldsAsync(async () => Value(await mesh.WebMetricsAsync(), "active_connections") == 0,
            "no passthrough connection of an earlier test is still open");
        var before = await mesh.WebMetricsAsync();

        // "HELO" starts like "HEAD " for three bytes, then is not HTTP.
        var result = await mesh.Namespace.RunInsideAsync("bash", "-c",
            $"exec 3<>/dev/tcp/{mesh.Namespace.HostAddress}/{mesh.EchoPort}; printf 'HELO meshwork\\n' >&3; read -r line <&3; echo \"$line\"; exec 3>&-");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("echo: HELO meshwork\n", result.Output);
        var after = before;
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                after = await mesh.WebMetricsAsync();
                return Value(after, "connections_total") == Value(before, "connections_total") + 1 &&
                    Value(after, "sent_bytes_total") >= Value(before, "sent_bytes_total") + "HELO meshwork\n".Length &&
                    Value(after, "received_bytes_total") >= Value(before, "received_bytes_total") + "echo: HELO meshwork\n".Length &&
                    Value(after, "connection_duration_seconds_count") == Value(before, "connection_duration_seconds_count") + 1;
            }, "the web sidecar counts one relayed connection with its bytes and duration");
        }
        catch (TimeoutException ex)
        {
            string[] names = ["connections_total", "connect_failures_total", "active_connections", "sent_bytes_total", "received_bytes_total", "connection_duration_seconds_count"];
            throw new TimeoutException($"{ex.Message}; passthrough metrics before -> after: " +
                string.Join(", ", names.Select(n => $"{n} {Value(before, n)} -> {Value(after, n)}")) + $"{Environment.NewLine}web sidecar: {mesh.Web.Output}", ex);
        }
    }

    [Fact]
    public async Task CallsToTheAppsOwnPortGoThroughItsSidecarWithMutualTls()
    {
        using var client = mesh.AppPortClient("secure");

        using var response = await client.GetAsync("/hello");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"instance\":\"web-1\"", await response.Content.ReadAsStringAsync());
        await Eventually.HoldsAsync(async () =>
                Regex.IsMatch(await mesh.WebMetricsAsync(), "meshwork_proxy_requests_total\\{direction=\"inbound\",source_service=\"secure\",destination_service=\"web\""),
            "the web sidecar counts the inbound request from secure's identity (counted once its pipeline has finished)");
    }

    [Fact]
    public async Task CallsToTheAppsOwnPortWithoutAMeshCertificateAreRefused()
    {
        using var client = mesh.AppPortClient(service: null);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/hello"));
    }

    private static double Value(string metrics, string name)
    {
        var match = Regex.Match(metrics, $"^meshwork_proxy_tcp_passthrough_{name} (\\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}

/// <summary>The sidecar on .NET's socket transport reads the original destination too (HTTP and TCP passthrough).</summary>
public sealed class TransparentInterceptionOverSocketsTests(SocketsInterceptionMesh mesh) : IClassFixture<SocketsInterceptionMesh>
{
    [Fact]
    public Task UnknownProtocolPassesThroughAsTcpAndIsCounted() => TransparentInterceptionTests.PassthroughAsync(mesh);

    [Fact]
    public async Task PlainAppReachesTheMesh()
    {
        var result = await mesh.CurlAsync("secure", "/hello");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("secure-app got 0 bytes 200\n", result.Output);
    }
}
