using Meshwork.ControlPlane.Rollouts.Webhooks;
using Meshwork.ControlPlane.Streams;

namespace Meshwork.ControlPlane.Leadership;

/// <summary>
/// GET /replica: which replica this is, whether it holds the leader lease, how many proxies are
/// connected to it and how its rollout event webhooks fared, for operators, the launcher's status and
/// tests. No secrets, like /health.
/// </summary>
public static class ReplicaEndpoint
{
    public static void MapReplicaEndpoint(this WebApplication app) =>
        app.MapGet("/replica", (LeaderElection leader, ConnectionTable connections, RolloutEvents events) =>
            Results.Json(new ReplicaInfo(leader.ReplicaId, leader.IsLeader, connections.Count, events.Counts)));

    public sealed record ReplicaInfo(string ReplicaId, bool Leader, int Proxies, WebhookEventCounts WebhookEvents);
}
