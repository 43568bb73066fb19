using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Meshwork.Model.Serialization;

/// <summary>
/// Durations as users write them in Kubernetes and Istio manifests: Go-style "1h30m", "250ms",
/// "10s". One format for YAML, JSON, the REST API and the portal forms.
/// </summary>
public static partial class Durations
{
    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns))+$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex Shape();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex Part();

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64)
            return false;
        text = text.Trim();
        if (text == "0")
            return true;
        if (!Shape().IsMatch(text))
            return false;
        double ticks = 0;
        foreach (Match part in Part().Matches(text))
        {
            var amount = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            ticks += part.Groups[2].Value switch
            {
                "h" => amount * TimeSpan.TicksPerHour,
                "m" => amount * TimeSpan.TicksPerMinute,
                "s" => amount * TimeSpan.TicksPerSecond,
                "ms" => amount * TimeSpan.TicksPerMillisecond,
                "us" or "µs" => amount * 10,
                _ => amount / 100,
            };
        }
        if (ticks > TimeSpan.MaxValue.Ticks)
            return false;
        value = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException(FormatError(text));

    public static string FormatError(string? text) =>
        $"'{text}' is not a duration; write it like 500ms, 10s, 5m or 1h30m";

    /// <summary>Shortest exact form: 90s -> "1m30s", 0.25s -> "250ms".</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
            return "0s";
        var sb = new StringBuilder();
        if (value < TimeSpan.Zero)
        {
            sb.Append('-');
            value = value.Negate();
        }
        var ticks = value.Ticks;
        Append(ref ticks, TimeSpan.TicksPerHour, "h");
        Append(ref ticks, TimeSpan.TicksPerMinute, "m");
        Append(ref ticks, TimeSpan.TicksPerSecond, "s");
        Append(ref ticks, TimeSpan.TicksPerMillisecond, "ms");
        Append(ref ticks, 10, "us");
        if (ticks > 0)
            sb.Append(ticks * 100).Append("ns");
        return sb.ToString();

        void Append(ref long remaining, long unit, string suffix)
        {
            if (remaining < unit)
                return;
            sb.Append(remaining / unit).Append(suffix);
            remaining %= unit;
        }
    }
}
