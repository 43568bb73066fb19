using System.Net;
using System.Text.RegularExpressions;

namespace Meshwork.Portal.Tests.Identity;

public sealed partial class FirstAdminTests
{
    [Fact]
    public async Task FirstStart_WithoutConfiguredPassword_LogsAOneTimePasswordOnceThatSignsIn()
    {
        var firstLog = new CapturingLoggerProvider();
        var dataDirectory = Path.Combine(Path.GetTempPath(), "meshwork-first-admin-" + Guid.NewGuid().ToString("N")[..12]);
        string connectionString;
        string password;
        await using (var first = new PortalFactory { AdminPasswordSetting = null, LoggerProvider = firstLog, DataDirectoryOverride = dataDirectory })
        {
            await first.InitializeAsync();
            connectionString = first.ConnectionString;
            var lines = firstLog.Messages.Where(m => m.Contains("one-time password", StringComparison.Ordinal)).ToList();
            var line = Assert.Single(lines);
            password = PasswordPattern().Match(line).Groups[1].Value;
            Assert.True(password.Length >= 10, line);

            using var browser = BrowserSession.Create(first);
            using var signIn = await BrowserSession.PostLoginAsync(browser, PortalFactory.AdminEmail, password);
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        // A restart on the same database: the admin exists, nothing is generated or printed again.
        var secondLog = new CapturingLoggerProvider();
        await using var second = new PortalFactory
        {
            AdminPasswordSetting = null, LoggerProvider = secondLog, DataDirectoryOverride = dataDirectory, ConnectionString = connectionString,
        };
        await second.InitializeAsync();
        Assert.DoesNotContain(secondLog.Messages, m => m.Contains("one-time password", StringComparison.Ordinal));
        Assert.DoesNotContain(secondLog.Messages, m => m.Contains(password, StringComparison.Ordinal));
        using var again = BrowserSession.Create(second);
        using var response = await BrowserSession.PostLoginAsync(again, PortalFactory.AdminEmail, password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Directory.Delete(dataDirectory, recursive: true);
    }

    [GeneratedRegex(@"one-time password (\S+)")]
    private static partial Regex PasswordPattern();
}
