using Grpc.Net.Client;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Meshwork.Testing.Postgres;

namespace Meshwork.ControlPlane.Tests.Infrastructure;

/// <summary>One migrated database and one real control plane process per test class.</summary>
public class ControlPlaneFixture : IAsyncLifetime
{
    /// <summary>Extra control plane settings (environment form) for derived fixtures.</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public string ConnectionString { get; private set; } = "";
    public ControlPlaneProcess ControlPlane { get; private set; } = null!;
    public GrpcChannel Channel { get; private set; } = null!;
    public string Token { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ConnectionString = await MigratedDatabase.CreateAsync();
        Token = await TestTokens.IssueAsync(ConnectionString);
        var settings = new Dictionary<string, string>(Settings) { ["ControlPlane__InstanceGracePeriod"] = "00:00:02" };
        ControlPlane = await ControlPlaneProcess.StartAsync(ConnectionString, settings);
        Channel = GrpcChannel.ForAddress(ControlPlane.Address);
    }

    public async Task<ChangeResult> ApplyAsync(Resource resource)
    {
        await using var db = MigratedDatabase.OpenContext(ConnectionString);
        var service = new ResourceService(db, TimeProvider.System);
        var current = await service.GetAsync(resource.Key);
        var versioned = resource with { Metadata = resource.Metadata with { Version = current?.Resource.Metadata.Version ?? 0 } };
        var result = await service.ApplyAsync(versioned, new ChangeActor("tests", ChangeSource.Api));
        Assert.True(result is ChangeResult.Applied, $"apply {resource.Key} failed: {result}");
        return result;
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        await ControlPlane.DisposeAsync();
    }
}

/// <summary>A control plane admitting 2 new streams at once and 1 per second after that.</summary>
public sealed class ThrottledControlPlaneFixture : ControlPlaneFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["ControlPlane__AdmissionBurst"] = "2",
        ["ControlPlane__AdmissionRatePerSecond"] = "1",
    };
}
