using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Store;
using Meshwork.Store.Rollouts;
using Meshwork.Testing.Postgres;

namespace Meshwork.ControlPlane.Tests.Rollouts;

/// <summary>What the rollout tests share on a real mesh: waiting for a rollout's stored state, reading and deleting resources.</summary>
public sealed class RolloutMesh(MeshFixture mesh, RolloutStateStore states)
{
    public static readonly TimeSpan Generous = TimeSpan.FromMinutes(3);

    /// <summary>The orders rollout, v1 stable and v2 canary, with 2 s analysis intervals.</summary>
    public static Rollout Rollout(int?[] weights, int minRequests, int failureLimit = 2) => new()
    {
        Metadata = new ResourceMetadata { Name = "orders" },
        Service = "orders",
        StableVersion = "v1",
        CanaryVersion = "v2",
        // null: a 2 s pause.
        Steps = weights.Select(w => w is { } weight
            ? new RolloutStep { SetWeight = weight }
            : new RolloutStep { Pause = new RolloutPause { Duration = TimeSpan.FromSeconds(2) } }).ToList(),
        Analysis = new RolloutAnalysis
        {
            Interval = TimeSpan.FromSeconds(2),
            MinSuccessRatePercent = 99,
            MaxLatencyP99 = TimeSpan.FromSeconds(5),
            FailureLimit = failureLimit,
            MinRequests = minRequests,
        },
    };

    public static HttpRoute OrdersSplit(int canaryWeight) => MeshFixture.OrdersRoute("v1") with
    {
        Rules =
        [
            new HttpRouteRule
            {
                BackendRefs =
                [
                    new BackendRef { Service = "orders", Version = "v1", Weight = 100 - canaryWeight },
                    new BackendRef { Service = "orders", Version = "v2", Weight = canaryWeight },
                ],
            },
        ],
    };

    /// <summary>Polls the rollout's state until <paramref name="condition"/> holds; the history and the control plane's output otherwise.</summary>
    public async Task<RolloutStatus> WaitForAsync(Func<RolloutStatus, bool> condition, string what, Func<Task>? meanwhile = null, string name = "orders")
    {
        var deadline = DateTime.UtcNow + Generous;
        RolloutStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await states.GetAsync("default", name, CancellationToken.None);
            if (last is not null && condition(last)) return last;
            if (meanwhile is not null) await meanwhile();
            await Task.Delay(200);
        }
        var history = last is null ? "no state" : string.Join("\n", last.History.Select(d => $"{d.At:HH:mm:ss.fff} {d.Actor} {d.Action} {d.Message}"));
        throw new TimeoutException($"rollout {name} never {what}; last phase {last?.Phase} step {last?.Step} weight {last?.Weight} message {last?.Message}\n{history}\n{mesh.ControlPlane.Output}");
    }

    /// <summary>Deletes the rollout and waits until the controller has forgotten its state, so the next one starts with a clean history.</summary>
    public async Task DeleteRolloutAsync(string name)
    {
        await DeleteAsync(new ResourceKey(ResourceKind.Rollout, "default", name));
        var deadline = DateTime.UtcNow + Generous;
        while (await states.GetAsync("default", name, CancellationToken.None) is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the state of the deleted rollout {name} was never removed\n" + mesh.ControlPlane.Output);
            await Task.Delay(200);
        }
    }

    public async Task<T> GetAsync<T>(ResourceKind kind, string name) where T : Resource
    {
        await using var db = MigratedDatabase.OpenSession(mesh.ConnectionString);
        var stored = await new ResourceService(db, TimeProvider.System).GetAsync(new ResourceKey(kind, "default", name));
        return (T)stored!.Resource;
    }

    public async Task DeleteAsync(ResourceKey key)
    {
        await using var db = MigratedDatabase.OpenSession(mesh.ConnectionString);
        var store = new ResourceService(db, TimeProvider.System);
        if (await store.GetAsync(key) is { } current)
            Assert.IsType<ChangeResult.Applied>(await store.DeleteAsync(key, current.Resource.Metadata.Version, new ChangeActor("tests", ChangeSource.Api)));
    }
}
