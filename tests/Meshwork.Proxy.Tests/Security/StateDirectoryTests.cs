using System.Globalization;
using Meshwork.Model.Snapshots;
using Meshwork.Proxy.Tests.Infrastructure;
using Meshwork.Testing.Processes;
using Meshwork.Testing.Waiting;

namespace Meshwork.Proxy.Tests.Security;

/// <summary>
/// The proxy's state folder holds its private key and last good snapshot: a real proxy process
/// creates it owner-only (0700), writes every file in it 0600, and refuses to start on a folder
/// its group or others can reach.
/// </summary>
[Collection(MeshCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes
public sealed class StateDirectoryTests(MeshFixture mesh) : IDisposable
{
    private readonly string parent = Directory.CreateTempSubdirectory("meshwork-state-test-").FullName;

    [Fact]
    public async Task StateDirectory_Missing_IsCreatedOwnerOnly_AndEveryFileInItIs0600()
    {
        var state = Path.Combine(parent, "new", "state");
        var port = FreePort.Next();
        var snapshot = SnapshotHash.WithHash(mesh.WebSnapshot(1) with
        {
            Identity = mesh.WebSnapshot(1).Identity with { ProxyId = "proxy-private-state" },
            Listeners = [new SnapshotListener { Name = "outbound", Kind = ListenerKind.Outbound, Port = port }],
        });
        var file = Path.Combine(parent, "snapshot.json");
        await ProxyProcess.WriteSnapshotAsync(file, snapshot);
        var admin = FreePort.Next();
        await using var proxy = StartProxy(admin, state, "--Proxy:SnapshotFile", file);
        await proxy.WaitForHttpOkAsync($"http://127.0.0.1:{admin}/ready");
        var lastGood = Path.Combine(state, "last-good-snapshot.json");
        await Eventually.HoldsAsync(() => Task.FromResult(File.Exists(lastGood)), "the proxy stores its last good snapshot");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(state));
        Assert.All(Directory.GetFiles(state), path =>
            Assert.True(File.GetUnixFileMode(path) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{path} is {File.GetUnixFileMode(path)}"));
        Assert.Contains(lastGood, Directory.GetFiles(state));
    }

    [Fact]
    public async Task StateDirectory_OpenToGroupOrOthers_ProxyRefusesToStartNamingTheFolder()
    {
        var state = Path.Combine(parent, "shared");
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        await using var proxy = StartProxy(FreePort.Next(), state);

        Assert.NotEqual(0, await proxy.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"Proxy:StateDirectory {state} is open to its group or others (mode 755)", proxy.Output);
        Assert.Empty(Directory.GetFiles(state));
    }

    private static ChildProcess StartProxy(int adminPort, string state, params string[] more) => ChildProcess.Start("Meshwork.Proxy",
    [
        "--Proxy:BindAddress", "127.0.0.1",
        "--Proxy:AdminPort", adminPort.ToString(CultureInfo.InvariantCulture),
        "--Proxy:StateDirectory", state,
        "--Logging:LogLevel:Default", "Warning",
        .. more,
    ], name: "proxy-state");

    public void Dispose() => Directory.Delete(parent, recursive: true);
}
