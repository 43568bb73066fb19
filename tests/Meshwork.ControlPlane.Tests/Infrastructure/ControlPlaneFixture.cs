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
        var settings = new Dictionary<string, string>(Settings)
        {
            ["ControlPlane__InstanceGracePeriod"] = "00:00:02",
            // Short, so a lost instance's lease runs out within a test even after a control plane restart,
            // yet longer than the test proxies' reconnect backoff (at most 2 s) on a loaded machine.
            ["ControlPlane__RegistryRecoveryPeriod"] = "00:00:05",
        };
        ControlPlane = await ControlPlaneProcess.StartAsync(ConnectionString, settings);
        Channel = ControlPlane.NewChannel();
    }

    public async Task<ChangeResult> ApplyAsync(Resource resource)
    {
        await using var db = MigratedDatabase.OpenSession(ConnectionString);
        var service = new ResourceService(db, TimeProvider.System);
        var current = await service.GetAsync(resource.Key);
        var versioned = resource with { Metadata = resource.Metadata with { Version = current?.Resource.Metadata.Version ?? 0 } };
        var result = await service.ApplyAsync(versioned, new ChangeActor("tests", ChangeSource.Api));
        Assert.True(result is ChangeResult.Applied, $"apply {resource.Key} failed: {result}");
        return result;
    }

    public virtual async Task DisposeAsync()
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

/// <summary>
/// A control plane whose gRPC certificate names only cp.mesh.test and 10.1.2.3 (besides loopback)
/// and lives 6 s, so it is renewed every 4 s within a test.
/// </summary>
public sealed class RenewingTlsControlPlaneFixture : ControlPlaneFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["ControlPlane__GrpcTlsHostNames"] = "cp.mesh.test, 10.1.2.3",
        ["ControlPlane__GrpcTlsCertificateLifetime"] = "00:00:06",
    };
}

/// <summary>A control plane with the development opt-in: cleartext h2c on the gRPC port.</summary>
public sealed class PlaintextControlPlaneFixture : ControlPlaneFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["ControlPlane__GrpcPlaintext"] = "true",
    };
}

/// <summary>A control plane allowed 5 PostgreSQL connections (ControlPlane:DatabaseMaxConnections).</summary>
public sealed class ConnectionBudgetControlPlaneFixture : ControlPlaneFixture
{
    public const int MaxConnections = 5;

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["ControlPlane__DatabaseMaxConnections"] = MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
