namespace Meshwork.Portal.Deployments;

/// <summary>
/// "Portal:DemoTraffic": the demo traffic generator's control endpoint (GET/PUT /traffic of
/// `Meshwork.DemoApps traffic --admin-urls`), which `./meshwork up` sets. Unset: the Fleet page has no
/// traffic panel.
/// </summary>
public sealed class DemoTrafficOptions
{
    public const string Section = "Portal:DemoTraffic";

    /// <summary>For example http://127.0.0.1:18090/traffic.</summary>
    public string? ControlUrl { get; set; }
}
