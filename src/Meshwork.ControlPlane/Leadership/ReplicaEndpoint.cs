using Meshwork.ControlPlane.Streams;

namespace Meshwork.ControlPlane.Leadership;

/// <summary>
/// GET /replica: which replica this is, whether it holds the leader lease and how many proxies are
/// connected to it, for operators, the launcher's status and tests. No secrets, like /health.
/// </summary>
public static class ReplicaEndpoint
{
    public static void MapReplicaEndpoint(this WebApplication app) =>
        app.MapGet("/replica", (LeaderElection leader, ConnectionTable connections) => Results.Json(new ReplicaInfo(leader.ReplicaId, leader.IsLeader, connections.Count)));

    public sealed record ReplicaInfo(string ReplicaId, bool Leader, int Proxies);
}
