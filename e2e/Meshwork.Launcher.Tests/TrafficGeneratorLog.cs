using System.Globalization;
using System.Text.RegularExpressions;

namespace Meshwork.Launcher.Tests;

/// <summary>
/// The demo traffic generator's reports ("sent=N ok=N failed=N", cumulative, every 5 s) from its
/// log in the launcher's state folder.
/// </summary>
public static partial class TrafficGeneratorLog
{
    public sealed record Report(long Sent, long Ok, long Failed);

    public static IReadOnlyList<Report> Read(string logPath)
    {
        if (!File.Exists(logPath))
            return [];
        using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return ReportLine().Matches(reader.ReadToEnd()).Select(m => new Report(
            long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture))).ToList();
    }

    [GeneratedRegex(@"^sent=(\d+) ok=(\d+) failed=(\d+)$", RegexOptions.Multiline)]
    private static partial Regex ReportLine();
}
