using Meshwork.Portal.Identity;
using Meshwork.Portal.Live;
using Meshwork.Portal.ViewModels;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Meshwork.Portal.Hubs;

/// <summary>
/// The live mesh for browsers (and any SignalR client) at <see cref="Path"/>: Viewer role and above, as
/// the pages. Streams rather than broadcasts, so each client is served at its own pace (<see cref="TopologyFeed"/>).
/// </summary>
[Authorize(Policy = PortalPolicies.Read)]
public sealed class MeshHub(MeshLiveData live, TopologyViews views) : Hub
{
    public const string Path = "/hubs/mesh";

    /// <summary>The topology graph as the filter shows it: a snapshot first, then deltas at most once a second.</summary>
    public IAsyncEnumerable<TopologyUpdate> Topology(TopologyFilter? filter, CancellationToken cancellationToken) =>
        TopologyFeed.StreamAsync(live, views, filter ?? new TopologyFilter(), cancellationToken);
}
