using System.Diagnostics;
using System.Globalization;

namespace Meshwork.Proxy.Interception;

/// <summary>
/// `Meshwork.Proxy init-iptables --outbound-port 15001 --proxy-gid 1337 [--inbound-port 15006
/// --inbound-ports 8080] [--proxy-uid N] [--exclude-outbound-ports 5432,...] [--dry-run]`: installs
/// <see cref="InterceptionRules"/> in the current network namespace with iptables-restore (root or
/// CAP_NET_ADMIN), what the Kubernetes init container and the local-process driver run. --dry-run
/// prints the rules instead.
/// </summary>
public static class InterceptionRulesCommand
{
    public const string Name = "init-iptables";

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        InterceptionRules rules;
        bool dryRun;
        try
        {
            (rules, dryRun) = Parse(args);
        }
        catch (FormatException ex)
        {
            error.WriteLine($"{Name}: {ex.Message}");
            return 2;
        }
        if (rules.Validate() is { Count: > 0 } errors)
        {
            foreach (var message in errors)
                error.WriteLine($"{Name}: {message}");
            return 2;
        }
        var text = rules.ToIptablesRestore();
        if (dryRun)
        {
            output.Write(text);
            return 0;
        }
        return Apply(text, error);
    }

    public static (InterceptionRules Rules, bool DryRun) Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var dryRun = false;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--dry-run")
            {
                dryRun = true;
                continue;
            }
            if (name is not ("--outbound-port" or "--inbound-port" or "--inbound-ports" or "--proxy-uid" or "--proxy-gid" or "--exclude-outbound-ports"))
                throw new FormatException($"unknown argument '{name}'");
            if (i + 1 >= args.Count)
                throw new FormatException($"{name} needs a value");
            values[name] = args[++i];
        }
        int? Number(string name) => values.TryGetValue(name, out var value)
            ? int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : throw new FormatException($"{name} '{value}' is not a number")
            : null;
        IReadOnlyList<int> Ports(string name) => values.TryGetValue(name, out var value)
            ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : throw new FormatException($"{name}: '{p}' is not a port number"))
                .ToArray()
            : [];
        var rules = new InterceptionRules
        {
            OutboundPort = Number("--outbound-port") ?? 0,
            InboundPort = Number("--inbound-port") ?? 0,
            InboundPorts = Ports("--inbound-ports"),
            ProxyUid = Number("--proxy-uid"),
            ProxyGid = Number("--proxy-gid"),
            ExcludeOutboundPorts = Ports("--exclude-outbound-ports"),
        };
        return (rules, dryRun);
    }

    private static int Apply(string rules, TextWriter error)
    {
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo("iptables-restore")
            {
                RedirectStandardInput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            error.WriteLine($"{Name}: cannot run iptables-restore ({ex.Message}): install iptables (Debian: apt-get install iptables)");
            return 1;
        }
        using (process)
        {
            process.StandardInput.Write(rules);
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 0)
                return 0;
            error.WriteLine($"{Name}: iptables-restore failed with exit code {process.ExitCode} (root or CAP_NET_ADMIN in the network namespace is needed): {stderr.Trim()}");
            return 1;
        }
    }
}
