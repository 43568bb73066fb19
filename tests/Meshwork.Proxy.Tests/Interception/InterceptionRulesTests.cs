using Meshwork.Proxy.Interception;

namespace Meshwork.Proxy.Tests.Interception;

public sealed class InterceptionRulesTests
{
    private static readonly string ProxyDll = Path.Combine(AppContext.BaseDirectory, "Meshwork.Proxy.dll");

    [Fact]
    public void RulesRedirectTheAppsTcpAndExemptTheSidecarLoopbackAndExcludedPorts()
    {
        var (rules, dryRun) = InterceptionRulesCommand.Parse(
            ["--outbound-port", "15001", "--inbound-port", "15006", "--inbound-ports", "8080, 9090", "--proxy-uid", "1337", "--proxy-gid", "1338", "--exclude-outbound-ports", "5432", "--dry-run"]);

        Assert.True(dryRun);
        Assert.Empty(rules.Validate());
        Assert.Equal(
            """
            *nat
            :PREROUTING ACCEPT [0:0]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            :MESHWORK_INBOUND - [0:0]
            :MESHWORK_OUTPUT - [0:0]
            -A PREROUTING -p tcp -j MESHWORK_INBOUND
            -A MESHWORK_INBOUND -p tcp --dport 8080 -j REDIRECT --to-ports 15006
            -A MESHWORK_INBOUND -p tcp --dport 9090 -j REDIRECT --to-ports 15006
            -A OUTPUT -p tcp -j MESHWORK_OUTPUT
            -A MESHWORK_OUTPUT -m owner --uid-owner 1337 -j RETURN
            -A MESHWORK_OUTPUT -m owner --gid-owner 1338 -j RETURN
            -A MESHWORK_OUTPUT -d 127.0.0.0/8 -j RETURN
            -A MESHWORK_OUTPUT -p tcp --dport 5432 -j RETURN
            -A MESHWORK_OUTPUT -p tcp -j REDIRECT --to-ports 15001
            COMMIT

            """.Replace("\r\n", "\n"),
            rules.ToIptablesRestore());
    }

    [Fact]
    public void WithoutInboundPortsInboundTrafficIsLeftAlone()
    {
        var text = new InterceptionRules { OutboundPort = 15001, ProxyGid = 1337 }.ToIptablesRestore();

        Assert.DoesNotContain("PREROUTING -p tcp", text);
        Assert.Contains("-A MESHWORK_OUTPUT -p tcp -j REDIRECT --to-ports 15001\n", text);
    }

    [Theory]
    [InlineData(new[] { "--proxy-gid", "1337" }, "--outbound-port 0: a port 1-65535 is required")]
    [InlineData(new[] { "--outbound-port", "15001" }, "neither --proxy-uid nor --proxy-gid is set")]
    [InlineData(new[] { "--outbound-port", "70000", "--proxy-gid", "1" }, "--outbound-port 70000")]
    [InlineData(new[] { "--outbound-port", "15001", "--proxy-gid", "1", "--inbound-port", "15006" }, "--inbound-ports names no app port")]
    [InlineData(new[] { "--outbound-port", "15001", "--proxy-gid", "1", "--inbound-ports", "8080" }, "--inbound-port (where to redirect them) is not")]
    public void BadSettingsAreRefusedNamingTheFlag(string[] args, string expected)
    {
        var errors = new StringWriter();

        var exit = InterceptionRulesCommand.Run(args, TextWriter.Null, errors);

        Assert.Equal(2, exit);
        Assert.Contains(expected, errors.ToString());
    }

    [Theory]
    [InlineData(new[] { "--outbound-port", "x15001" }, "--outbound-port 'x15001' is not a number")]
    [InlineData(new[] { "--outbound-port", "-1" }, "--outbound-port '-1' is not a number")]
    [InlineData(new[] { "--inbound-ports", "8080,http" }, "--inbound-ports: 'http' is not a port number")]
    [InlineData(new[] { "--outbound-port" }, "--outbound-port needs a value")]
    [InlineData(new[] { "--redirect-all" }, "unknown argument '--redirect-all'")]
    public void UnreadableArgumentsAreRefused(string[] args, string expected)
    {
        var errors = new StringWriter();

        Assert.Equal(2, InterceptionRulesCommand.Run(args, TextWriter.Null, errors));
        Assert.Contains(expected, errors.ToString());
    }

    [Fact]
    public async Task InstallingInANamespaceGivesTheRulesAndIsIdempotent()
    {
        await using var space = await NetworkNamespace.CreateAsync();
        string[] install = [.. space.Exec, "dotnet", ProxyDll, "init-iptables", "--outbound-port", "15001", "--proxy-gid", "1337", "--inbound-port", "15006", "--inbound-ports", "8080"];

        await NetworkNamespace.RunAsync(install);
        var first = (await NetworkNamespace.RunAsync([.. space.Exec, "iptables", "-t", "nat", "-S"])).Output;
        await NetworkNamespace.RunAsync(install);
        var second = (await NetworkNamespace.RunAsync([.. space.Exec, "iptables", "-t", "nat", "-S"])).Output;

        Assert.Contains("-A MESHWORK_OUTPUT -m owner --gid-owner 1337 -j RETURN", first);
        Assert.Contains("-A MESHWORK_OUTPUT -p tcp -j REDIRECT --to-ports 15001", first);
        Assert.Contains("-A MESHWORK_INBOUND -p tcp -m tcp --dport 8080 -j REDIRECT --to-ports 15006", first);
        Assert.Equal(first, second);
        // The host's own nat table is not touched.
        Assert.DoesNotContain("MESHWORK_OUTPUT", (await NetworkNamespace.RunAsync("iptables", "-t", "nat", "-S")).Output);
    }
}
