using System.Globalization;
using ProxyBench;

// bench/proxy.sh and bench/soak.sh drive this tool:
//   ProxyBench load --url http://127.0.0.1:18101/ [--host backend] --rate 1000 --duration 20s [--warmup 3s] [--connections 32]
//   ProxyBench snapshots --dir DIR --backend 127.0.0.1:18080 --outbound 18101 --inbound 18106
//   ProxyBench tcp-echo --port 18300 | tcp-snapshots --dir DIR --echo 127.0.0.1:18300 | tcp-load --target 127.0.0.1:18302 [--rate 1000]  (bench/lib/proxy-tcp.sh)
//   ConnectionStrings__Meshwork=... ProxyBench churn --route default/orders [--every 5s] [--duration 10m] [--step 10]
return args.FirstOrDefault() switch
{
    "load" => await OpenLoopLoad.RunAsync(Options.Parse(args[1..])),
    "snapshots" => BenchSnapshots.Write(Options.Parse(args[1..])),
    "churn" => await RouteChurn.RunAsync(Options.Parse(args[1..])),
    "tcp-echo" => await TcpBench.EchoAsync(Options.Parse(args[1..])),
    "tcp-snapshots" => TcpBench.WriteSnapshots(Options.Parse(args[1..])),
    "tcp-load" => await TcpBench.LoadAsync(Options.Parse(args[1..])),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: ProxyBench load --url URL [--host H] --rate RPS --duration 20s | snapshots --dir DIR --backend HOST:PORT --outbound PORT --inbound PORT | churn --route NS/NAME [--every 5s] [--duration 10m]");
    return 2;
}

namespace ProxyBench
{
    internal sealed class Options(Dictionary<string, string> values)
    {
        public static Options Parse(string[] args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < args.Length; i += 2)
                values[args[i].TrimStart('-')] = args[i + 1];
            return new Options(values);
        }

        public string Get(string name, string? fallback = null) =>
            values.TryGetValue(name, out var value) ? value : fallback ?? throw new ArgumentException($"--{name} is required");

        public int Int(string name, int fallback) =>
            values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

        public TimeSpan Duration(string name, string fallback) => Meshwork.Model.Serialization.Durations.Parse(Get(name, fallback));
    }
}
