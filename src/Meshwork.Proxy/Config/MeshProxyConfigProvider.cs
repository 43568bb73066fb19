using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Meshwork.Proxy.Config;

/// <summary>
/// YARP's view of the snapshot: an immutable config swapped whole, with the old change token
/// cancelled so YARP picks the new one up (the pattern of YARP's InMemoryConfigProvider).
/// </summary>
public sealed class MeshProxyConfigProvider : IProxyConfigProvider
{
    private volatile MeshProxyConfig config = new([], []);

    public IProxyConfig GetConfig() => config;

    public void Update(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters)
    {
        var old = config;
        config = new MeshProxyConfig(routes, clusters);
        old.SignalChange();
    }

    private sealed class MeshProxyConfig : IProxyConfig
    {
        private readonly CancellationTokenSource changed = new();

        public MeshProxyConfig(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters)
        {
            Routes = routes;
            Clusters = clusters;
            ChangeToken = new CancellationChangeToken(changed.Token);
        }

        public IReadOnlyList<RouteConfig> Routes { get; }
        public IReadOnlyList<ClusterConfig> Clusters { get; }
        public IChangeToken ChangeToken { get; }
        public string RevisionId { get; } = Guid.NewGuid().ToString("n");

        public void SignalChange() => changed.Cancel();
    }
}
