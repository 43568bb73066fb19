using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshwork.ControlPlane.Rollouts;
using Meshwork.ControlPlane.Rollouts.Webhooks;
using Meshwork.ControlPlane.Tests.Infrastructure;
using Meshwork.ControlPlane.Tests.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Store.Rollouts;
using Meshwork.Testing.Waiting;
using Npgsql;

namespace Meshwork.ControlPlane.Tests.Rollouts;

/// <summary>
/// Rollout webhooks from the real control plane to real HTTP receivers on loopback: a pre-step gate
/// holding a step until it answers 2xx, event receivers getting every decision signed, and slow
/// receivers that cost their own timeouts but never another rollout's progress.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class RolloutWebhookTests(MeshFixture mesh) : IClassFixture<MeshFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Generous = RolloutMesh.Generous;
    private NpgsqlDataSource database = null!;
    private RolloutStateStore states = null!;
    private RolloutMesh rollouts = null!;

    public async Task InitializeAsync()
    {
        database = NpgsqlDataSource.Create(mesh.ConnectionString);
        states = new RolloutStateStore(database);
        rollouts = new RolloutMesh(mesh, states);
        await rollouts.DeleteRolloutAsync("orders");
        await rollouts.DeleteRolloutAsync("payments");
        await mesh.ApplyAsync(RolloutMesh.OrdersSplit(0));
    }

    public async Task DisposeAsync() => await database.DisposeAsync();

    /// <summary>Two 2 s pauses: the rollout needs no traffic to go through them.</summary>
    private static Rollout Pauses(string service, params RolloutWebhook[] webhooks) => RolloutMesh.Rollout([null, null], minRequests: 5) with
    {
        Metadata = new ResourceMetadata { Name = service },
        Service = service,
        Webhooks = webhooks,
    };

    [Fact]
    public async Task PreStepWebhookAnswering500_HoldsTheStep_UntilItAnswers200_ThenTheRolloutProceeds()
    {
        using var gate = new WebhookReceiver { Status = 500, Answer = "load test\nnot finished" };
        await mesh.ApplyAsync(Pauses("orders",
            new RolloutWebhook { Name = "load-test", Url = gate.Url, Type = RolloutWebhookType.PreStep, Timeout = TimeSpan.FromSeconds(5), Retries = 1 }));

        var held = await rollouts.WaitForAsync(s => s.Message?.Contains("HTTP 500") == true, "held by the gate");
        Assert.Equal($"step 1 held by pre-step webhook 'load-test' ({gate.Url}): answered HTTP 500 Internal Server Error: load test not finished " +
                     "(each of 2 attempts failed); asked again next round", held.Message);
        Assert.Equal((RolloutPhase.Progressing, 0, 0), (held.Phase, held.Step, held.Weight));
        // Asked again in later rounds, still holding.
        await Eventually.HoldsAsync(() => Task.FromResult(gate.Requests.Count >= 6), "the gate asked again", Generous);
        var stillHeld = await states.GetAsync("default", "orders", CancellationToken.None);
        Assert.Equal((RolloutPhase.Progressing, 0), (stillHeld!.Phase, stillHeld.Step));
        Assert.DoesNotContain(stillHeld.History, d => d.Action == RolloutProgression.StepGateOpened);

        gate.Status = 200;

        var promoted = await rollouts.WaitForAsync(s => s.Phase == RolloutPhase.Promoted, "promoted");
        Assert.Equal(100, promoted.Weight);
        Assert.Null(promoted.Message);
        Assert.Equal([0, 1], promoted.History.Where(d => d.Action == RolloutProgression.StepGateOpened).Select(d => d.Step));
        Assert.All(gate.Requests, r =>
        {
            Verify(r);
            Assert.Equal((WebhookPayload.PreStepEvent, "orders", "load-test"), (r.Event, r.Rollout, r.Json.GetProperty("webhook").GetString()));
        });
        Assert.Contains(gate.Requests, r => r.Json.GetProperty("step").GetInt32() == 1 && r.Json.GetProperty("message").GetString() == "step 2 of 2 (pause) is about to be entered");
    }

    [Fact]
    public async Task EventWebhook_ReceivesEveryDecisionInOrder_EachSignedWithAVerifyingSignature()
    {
        using var receiver = new WebhookReceiver();
        await mesh.ApplyAsync(Pauses("orders", new RolloutWebhook { Name = "audit", Url = receiver.Url }));

        var promoted = await rollouts.WaitForAsync(s => s.Phase == RolloutPhase.Promoted, "promoted");

        await Eventually.HoldsAsync(() => Task.FromResult(receiver.Requests.Any(r => r.Event == "Promoted")), "the Promoted event arrives", Generous);
        var received = receiver.Requests.ToList();
        Assert.Equal(promoted.History.Select(d => d.Action), received.Select(r => r.Event));
        Assert.Equal(["Started", "PauseEnded", "PauseEnded", "Promoted"], received.Select(r => r.Event));
        Assert.All(received, Verify);
        var last = received[^1].Json;
        Assert.Equal("default", last.GetProperty("namespace").GetString());
        Assert.Equal("orders", last.GetProperty("name").GetString());
        Assert.Equal("audit", last.GetProperty("webhook").GetString());
        Assert.Equal("promoted", last.GetProperty("phase").GetString());
        Assert.Equal(100, last.GetProperty("weight").GetInt32());
        Assert.Equal(2, last.GetProperty("stepCount").GetInt32());
        Assert.Equal(promoted.History[^1].Message, last.GetProperty("message").GetString());
        Assert.Equal(promoted.History[^1].At, last.GetProperty("time").GetDateTimeOffset());
    }

    [Fact]
    public async Task SlowWebhooks_TimeOut_WithoutStallingAnotherRollout()
    {
        using var slow = new WebhookReceiver { Hang = true };
        using var fast = new WebhookReceiver();
        await mesh.ApplyAsync(new Service
        {
            Metadata = new ResourceMetadata { Name = "payments" },
            Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }],
        });
        await mesh.ApplyAsync(new HttpRoute
        {
            Metadata = new ResourceMetadata { Name = "payments" },
            ParentRefs = [new ParentRef { Name = "payments" }],
            Rules = [new HttpRouteRule { BackendRefs = [new BackendRef { Service = "payments", Version = "v1" }, new BackendRef { Service = "payments", Version = "v2", Weight = 0 }] }],
        });
        await mesh.ApplyAsync(Pauses("orders",
            new RolloutWebhook { Name = "slow-gate", Url = slow.Url, Type = RolloutWebhookType.PreStep, Timeout = TimeSpan.FromSeconds(1), Retries = 0 },
            new RolloutWebhook { Name = "slow-events", Url = slow.Url, Timeout = TimeSpan.FromSeconds(2), Retries = 0 }));
        await mesh.ApplyAsync(Pauses("payments", new RolloutWebhook { Name = "events", Url = fast.Url }));

        var payments = await rollouts.WaitForAsync(s => s.Phase == RolloutPhase.Promoted, "promoted", name: "payments");
        await Eventually.HoldsAsync(() => Task.FromResult(fast.Requests.Any(r => r.Rollout == "payments" && r.Event == "Promoted")),
            "the payments rollout's Promoted event arrives", Generous);

        var orders = await rollouts.WaitForAsync(s => s.Message?.Contains("did not answer") == true, "held by the slow gate");
        Assert.Equal($"step 1 held by pre-step webhook 'slow-gate' ({slow.Url}): did not answer within 1s; asked again next round", orders.Message);
        Assert.Equal((RolloutPhase.Progressing, 0, 0), (orders.Phase, orders.Step, orders.Weight));
        Assert.Equal(100, payments.Weight);
        // The slow event receiver's timeout is counted (and logged) on the leader.
        using var http = new HttpClient();
        await Eventually.HoldsAsync(async () =>
        {
            using var replica = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{mesh.ControlPlane.HttpPort}/replica"));
            return replica.RootElement.GetProperty("webhookEvents").GetProperty("failed").GetInt64() >= 1;
        }, "a failed event delivery counted", Generous);
        Assert.Contains("not delivered to webhook slow-events", mesh.ControlPlane.Output);
        await rollouts.DeleteRolloutAsync("payments");
    }

    /// <summary>What a receiver does: recompute the HMAC over "timestamp.body" with the shared key, and refuse an old timestamp.</summary>
    private static void Verify(WebhookReceiver.Received request)
    {
        Assert.NotNull(request.Timestamp);
        var expected = "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(MeshFixture.WebhookSigningKey), Encoding.UTF8.GetBytes(request.Timestamp + "." + request.Body)));
        Assert.Equal(expected, request.Signature);
        var sent = DateTimeOffset.FromUnixTimeSeconds(long.Parse(request.Timestamp, CultureInfo.InvariantCulture));
        Assert.True((request.At - sent).Duration() < TimeSpan.FromMinutes(5), $"timestamp {sent:O} received at {request.At:O}");
    }
}
