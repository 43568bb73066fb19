using System.Net;

namespace Meshwork.Portal.Tests.Hosting;

/// <summary>
/// The portal's data folder holds its data-protection keys (cookies, antiforgery) and token signing
/// keys: the real portal creates it and its key folders owner-only (0700), writes the keys 0600, and
/// refuses to start on a folder its group or others can reach.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes
public sealed class DataDirectoryTests : IDisposable
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string parent = Directory.CreateTempSubdirectory("meshwork-portal-data-").FullName;

    [Fact]
    public async Task DataDirectory_Missing_IsCreatedOwnerOnly_AndItsKeysAre0600()
    {
        var data = Path.Combine(parent, "portal");
        await using var portal = new PortalFactory { DataDirectoryOverride = data };
        await portal.InitializeAsync();
        // The sign-in form carries an antiforgery token: the data-protection key ring is written now.
        using var browser = BrowserSession.Create(portal);
        using var page = await browser.GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        foreach (var folder in new[] { data, Path.Combine(data, "data-protection"), Path.Combine(data, "keys") })
            Assert.True(File.GetUnixFileMode(folder) == OwnerOnlyFolder, $"{folder} is {File.GetUnixFileMode(folder)}");
        var keyFiles = Directory.GetFiles(data, "*", SearchOption.AllDirectories);
        Assert.Contains(keyFiles, f => f.EndsWith(".xml", StringComparison.Ordinal));
        Assert.Contains(keyFiles, f => f.EndsWith(".pfx", StringComparison.Ordinal));
        Assert.All(keyFiles, f => Assert.True(File.GetUnixFileMode(f) == OwnerOnlyFile, $"{f} is {File.GetUnixFileMode(f)}"));
    }

    [Fact]
    public async Task DataDirectory_OpenToGroupOrOthers_PortalRefusesToStartNamingTheFolder()
    {
        var data = Path.Combine(parent, "shared");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, OwnerOnlyFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        await using var portal = new PortalFactory { DataDirectoryOverride = data };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => portal.InitializeAsync());

        Assert.Contains($"Portal:DataDirectory {data} is open to its group or others (mode 755)", refused.Message);
        Assert.Empty(Directory.GetFileSystemEntries(data));
    }

    public void Dispose() => Directory.Delete(parent, recursive: true);
}
