using System.Globalization;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Snapshots;

/// <summary>
/// The name of one HttpRoute rule everywhere it is counted: "namespace/route/rule", the rule's name
/// or, when it has none, its index. The snapshot's rules carry it, proxies label their stats with
/// it, and the control plane and portal key per-route history by it.
/// </summary>
public static class RouteRuleName
{
    public static string Of(HttpRoute route, int index) => Of(route.Metadata.Namespace, route.Metadata.Name, Rule(route, index));

    public static string Of(string @namespace, string route, string rule) => $"{@namespace}/{route}/{rule}";

    /// <summary>The rule part: its name, or its index when unnamed.</summary>
    public static string Rule(HttpRoute route, int index) => route.Rules[index].Name ?? index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Splits a name into its three parts; false when it does not have exactly three non-empty ones.</summary>
    public static bool TryParse(string name, out string @namespace, out string route, out string rule)
    {
        var parts = name.Split('/');
        (@namespace, route, rule) = parts.Length == 3 ? (parts[0], parts[1], parts[2]) : ("", "", "");
        return parts.Length == 3 && parts.All(part => part.Length > 0);
    }
}
