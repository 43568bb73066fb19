using Meshwork.Cli;
using Meshwork.Cli.Commands;
using Meshwork.Model.Resources;
using Meshwork.Model.Rollouts;
using Meshwork.Store;
using Meshwork.Store.Rollouts;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Portal.Tests.Cli;

/// <summary>
/// meshctl rollout against the real portal and PostgreSQL. The rollout controller (control plane,
/// tested with real proxies in Meshwork.ControlPlane.Tests) is not running here: its state is
/// written with the controller's own store, so these tests pin what meshctl and the API make of it.
/// </summary>
public sealed class MeshctlRolloutTests(PortalFactory portal) : IClassFixture<PortalFactory>, IAsyncLifetime
{
    private readonly string configDirectory = Path.Combine(Path.GetTempPath(), "meshctl-rollout-tests-" + Guid.NewGuid().ToString("N")[..12]);
    private Rollout rollout = null!;

    public async Task InitializeAsync()
    {
        var client = await portal.CreateClientAsync("Operator", "meshctl rollout tests");
        var login = await RunAsync("login", "--server", "http://localhost", "--client-id", client.ClientId, "--client-secret", client.ClientSecret);
        Assert.True(login.Code == 0, login.Error);
        await using var scope = portal.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ResourceService>();
        var name = "shop-" + Guid.NewGuid().ToString("N")[..8];
        await ApplyAsync(store, new Service { Metadata = new ResourceMetadata { Name = name }, Versions = [new ServiceVersion { Name = "v1" }, new ServiceVersion { Name = "v2" }] });
        rollout = (Rollout)await ApplyAsync(store, new Rollout
        {
            Metadata = new ResourceMetadata { Name = name },
            Service = name,
            StableVersion = "v1",
            CanaryVersion = "v2",
            Steps = [new RolloutStep { SetWeight = 50 }, new RolloutStep { SetWeight = 100 }],
        });
    }

    public Task DisposeAsync()
    {
        Directory.Delete(configDirectory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Wait_ExitsZero_WhenTheRolloutIsPromoted()
    {
        await SaveAsync(RolloutPhase.Progressing, step: 0, weight: 50);
        var waiting = RunAsync("rollout", "wait", rollout.Metadata.Name, "--timeout", "5m", "--interval", "1s");
        await SaveAsync(RolloutPhase.Promoted, step: 2, weight: 100);

        var result = await waiting;

        Assert.True(result.Code == 0, result.Error);
        Assert.Contains("Promoted, step 2/2 (done), canary 100%", result.Output);
    }

    [Fact]
    public async Task Wait_ExitsOne_WhenRolledBack_NamingTheFailedAnalysis()
    {
        await SaveAsync(RolloutPhase.RolledBack, step: 0, weight: 0, analysis: new RolloutAnalysisResult
        {
            At = DateTimeOffset.UtcNow, Verdict = AnalysisVerdict.Failed, Reason = "failed: success rate 80% < 99%",
            CanaryRequests = 120, CanarySuccessRatePercent = 80, StableRequests = 118, StableSuccessRatePercent = 100,
        });

        var result = await RunAsync("rollout", "wait", rollout.Metadata.Name, "--timeout", "5m");

        Assert.Equal(1, result.Code);
        Assert.Contains("RolledBack", result.Error);
        Assert.Contains("failed: success rate 80% < 99%", result.Error);
        Assert.Contains("canary 120 requests", result.Error);
    }

    [Fact]
    public async Task Wait_ExitsThree_WhenTheTimeoutPassesFirst()
    {
        await SaveAsync(RolloutPhase.WaitingForApproval, step: 1, weight: 50);

        var result = await RunAsync("rollout", "wait", rollout.Metadata.Name, "--timeout", "1s", "--interval", "1s");

        Assert.Equal(RolloutControlCommand.TimedOut, result.Code);
        Assert.Contains("timed out after 1s", result.Error);
    }

    [Fact]
    public async Task Promote_QueuesTheCommandForTheController_WithTheCaller()
    {
        await SaveAsync(RolloutPhase.WaitingForApproval, step: 1, weight: 50);

        var result = await RunAsync("rollout", "promote", rollout.Metadata.Name);

        Assert.True(result.Code == 0, result.Error);
        Assert.Contains("promote queued", result.Output);
        var stored = await portal.Services.GetRequiredService<RolloutStateStore>().GetAsync("default", rollout.Metadata.Name, CancellationToken.None);
        Assert.Equal(RolloutCommand.Promote, stored!.Pending!.Command);
        Assert.Equal((RolloutPhase.WaitingForApproval, 1, 50), (stored.Phase, stored.Step, stored.Weight));
    }

    [Fact]
    public async Task Resume_OfARolloutThatIsNotPaused_IsRefusedWithTheReason_NothingQueued()
    {
        await SaveAsync(RolloutPhase.Progressing, step: 0, weight: 50);

        var result = await RunAsync("rollout", "resume", rollout.Metadata.Name);

        Assert.Equal(1, result.Code);
        Assert.Contains("only a paused rollout resumes; this one is Progressing", result.Error);
        var stored = await portal.Services.GetRequiredService<RolloutStateStore>().GetAsync("default", rollout.Metadata.Name, CancellationToken.None);
        Assert.Null(stored!.Pending);
    }

    [Fact]
    public async Task Status_ShowsPhaseStepWeightAndTheLastAnalysis()
    {
        await SaveAsync(RolloutPhase.Progressing, step: 0, weight: 50, analysis: new RolloutAnalysisResult
        {
            At = DateTimeOffset.UtcNow, Verdict = AnalysisVerdict.Inconclusive, Interval = TimeSpan.FromSeconds(30), CanaryWeight = 50,
            Reason = "inconclusive: 3 canary requests in 30 s, at least 20 needed; the step waits", CanaryRequests = 3, MinRequests = 20,
        });

        var result = await RunAsync("rollout", "status", rollout.Metadata.Name);

        Assert.True(result.Code == 0, result.Error);
        Assert.Contains($"rollout default/{rollout.Metadata.Name}: Progressing, step 1/2, canary 50%", result.Output);
        Assert.Contains("(30s at 50%): inconclusive: 3 canary requests in 30 s, at least 20 needed", result.Output);
    }

    [Fact]
    public async Task Status_ShowsThePreStepWebhookHoldingTheStep_AndWhatItAnswered()
    {
        const string held = "step 1 held by pre-step webhook 'load-test' (https://ci.example.com/gates/orders): answered HTTP 500 Internal Server Error: " +
                            "load test not finished (each of 3 attempts failed); asked again next round";
        await SaveAsync(RolloutPhase.Progressing, step: 0, weight: 0, message: held);

        var result = await RunAsync("rollout", "status", rollout.Metadata.Name);

        Assert.True(result.Code == 0, result.Error);
        Assert.Contains($"rollout default/{rollout.Metadata.Name}: Progressing, step 1/2, canary 0%", result.Output);
        Assert.Contains($"  note: {held}", result.Output);
    }

    private Task SaveAsync(RolloutPhase phase, int step, int weight, RolloutAnalysisResult? analysis = null, string? message = null) =>
        portal.Services.GetRequiredService<RolloutStateStore>().SaveAsync(new RolloutStatus
        {
            Namespace = "default",
            Name = rollout.Metadata.Name,
            RolloutVersion = rollout.Metadata.Version,
            Phase = phase,
            Step = step,
            StepCount = rollout.Steps.Count,
            Weight = weight,
            StepStartedAt = DateTimeOffset.UtcNow,
            LastAnalysis = analysis,
            Message = message,
        }, handled: null, CancellationToken.None);

    private static async Task<Resource> ApplyAsync(ResourceService store, Resource resource)
    {
        var result = await store.ApplyAsync(resource, new ChangeActor("tests", ChangeSource.Api));
        return Assert.IsType<ChangeResult.Applied>(result).Resources[0].Resource;
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MeshctlApp.RunAsync(args, new CliEnvironment(configDirectory, output, error, portal.Server.CreateHandler()));
        return (code, output.ToString(), error.ToString());
    }
}
