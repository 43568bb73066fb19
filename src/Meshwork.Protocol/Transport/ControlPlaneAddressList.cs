namespace Meshwork.Protocol.Transport;

/// <summary>
/// The control plane address settings (ControlPlaneClient:Address on proxies, Portal:ControlPlane:Address
/// on the portal) as a comma-separated list of replica addresses; one address is the one-replica case.
/// One parser for both, so they accept and refuse exactly the same entries.
/// </summary>
public static class ControlPlaneAddressList
{
    /// <summary>The entries in order, trimmed; empty entries (a trailing comma) are skipped.</summary>
    public static IReadOnlyList<string> Split(string? setting) =>
        (setting ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>One message per bad entry, naming it and <paramref name="settingName"/>; empty when every entry is usable.</summary>
    public static IReadOnlyList<string> Problems(string? setting, string settingName)
    {
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in Split(setting))
        {
            if (!Uri.TryCreate(entry, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                problems.Add($"{settingName}: '{entry}' is not an absolute http:// or https:// address (e.g. https://127.0.0.1:15010).");
            else if (!seen.Add(entry))
                problems.Add($"{settingName}: '{entry}' is listed twice.");
        }
        return problems;
    }

    /// <summary><see cref="Split"/> after <see cref="Problems"/>: refuses a list with a bad entry rather than retrying it forever.</summary>
    public static IReadOnlyList<string> Parse(string? setting, string settingName)
    {
        var problems = Problems(setting, settingName);
        return problems.Count == 0 ? Split(setting) : throw new InvalidOperationException(string.Join(" ", problems));
    }
}
