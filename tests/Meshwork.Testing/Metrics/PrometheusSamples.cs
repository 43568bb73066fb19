using System.Globalization;
using System.Text.RegularExpressions;

namespace Meshwork.Testing.Metrics;

public static class PrometheusSamples
{
    /// <summary>The sum of a metric's samples whose label set (in the order the metric declares them) matches the regex <paramref name="labels"/>.</summary>
    public static double Sum(string exposition, string metric, string labels) =>
        new Regex($"^{Regex.Escape(metric)}\\{{{labels}\\}} (\\S+)$", RegexOptions.Multiline).Matches(exposition)
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}
