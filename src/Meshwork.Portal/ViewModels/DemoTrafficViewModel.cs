using System.Globalization;
using Meshwork.Portal.Deployments;
using Meshwork.Portal.Identity;
using Meshwork.Store;

namespace Meshwork.Portal.ViewModels;

/// <summary>The outcome of a traffic change: the generator's new view, or every error by field (nothing changed then).</summary>
public sealed record DemoTrafficOutcome(DemoTrafficView? View, IReadOnlyDictionary<string, string> Errors)
{
    public bool Succeeded => View is not null;

    public static DemoTrafficOutcome Failed(string field, string error) => new(null, new Dictionary<string, string> { [field] = error });
}

/// <summary>
/// The Fleet page's demo traffic: the generator's rate and mix, and changes to them by Operators and
/// Admins (checked here again, whatever the page showed), validated before they leave the portal and
/// audited like the other fleet actions. Targets stay on the origins the generator already sends to
/// (the demo's gateway): the portal does not let anyone point the generator at another host.
/// </summary>
public sealed class DemoTrafficViewModel(IServiceProvider services, IServiceScopeFactory scopes, CurrentUser user)
{
    /// <summary>The generator's own bound (TrafficPlan.MaxRps in Meshwork.DemoApps).</summary>
    public const double MaxRps = 1000;

    public const int MaxTargets = 20;
    public const int MaxWeight = 1000;
    public const string AuditName = "demo-traffic";

    public DemoTrafficGenerator? Generator { get; } = services.GetService<DemoTrafficGenerator>();

    /// <summary>May change the rate and mix (Operator+); Viewers see them only.</summary>
    public bool CanOperate { get; private set; }

    public async Task LoadAsync() => CanOperate = Generator is not null && await user.CanAsync(PortalPolicies.EditTraffic);

    /// <summary>The generator's current plan and counters; the error says why it could not be read.</summary>
    public async Task<(DemoTrafficView? View, string? Error)> ReadAsync(CancellationToken ct = default)
    {
        if (Generator is null) return (null, "No demo traffic generator is configured (Portal:DemoTraffic:ControlUrl).");
        try
        {
            return (await Generator.ReadAsync(ct), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidDataException or System.Text.Json.JsonException)
        {
            return (null, $"The traffic generator at {Generator.ControlUrl} did not answer: {e.Message}");
        }
    }

    /// <summary>Sets the rate (requests/s, 0 pauses) and the mix; every problem comes back by field and nothing changes.</summary>
    public async Task<DemoTrafficOutcome> ApplyAsync(double rps, IReadOnlyList<DemoTrafficTarget> targets, CancellationToken ct = default)
    {
        if (Generator is null) return DemoTrafficOutcome.Failed("generator", "No demo traffic generator is configured (Portal:DemoTraffic:ControlUrl).");
        if (!await user.CanAsync(PortalPolicies.EditTraffic)) return DemoTrafficOutcome.Failed("role", "Only operators and admins change the demo traffic.");
        var (before, readError) = await ReadAsync(ct);
        if (before is null) return DemoTrafficOutcome.Failed("generator", readError!);

        targets = [.. targets.Select(t => t with { Url = t.Url?.Trim() ?? "" })];
        var errors = Validate(rps, targets, Origins(before));
        if (errors.Count > 0) return new DemoTrafficOutcome(null, errors);
        DemoTrafficPut put;
        try
        {
            put = await Generator.PutAsync(rps, targets, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidDataException or System.Text.Json.JsonException)
        {
            return DemoTrafficOutcome.Failed("generator", $"The traffic generator at {Generator.ControlUrl} did not take the change: {e.Message}");
        }
        if (put.View is null) return new DemoTrafficOutcome(null, put.Errors);

        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<FleetAuditLog>().RecordAsync(ChangeAction.SetTraffic, Model.Resources.ResourceMetadata.DefaultNamespace, AuditName,
            new { rps, targets, before = new { rps = before.Rps, targets = before.Targets } }, await user.ActorAsync(), ct);
        return new DemoTrafficOutcome(put.View, new Dictionary<string, string>());
    }

    /// <summary>The origins (scheme://host:port) the generator sends to: the only ones a change may use.</summary>
    public static IReadOnlyList<string> Origins(DemoTrafficView view) =>
        [.. view.Targets.Select(t => Uri.TryCreate(t.Url, UriKind.Absolute, out var u) ? u.GetLeftPart(UriPartial.Authority) : null).OfType<string>().Distinct()];

    /// <summary>Every problem with a change, by field ("rps", "targets", "targets[1].url", ...).</summary>
    public static Dictionary<string, string> Validate(double rps, IReadOnlyList<DemoTrafficTarget> targets, IReadOnlyList<string> origins)
    {
        var errors = new Dictionary<string, string>();
        if (double.IsNaN(rps) || rps < 0 || rps > MaxRps)
            errors["rps"] = $"Requests per second must be between 0 (paused) and {MaxRps.ToString(CultureInfo.InvariantCulture)}, got {rps.ToString(CultureInfo.InvariantCulture)}.";
        if (targets.Count is 0 or > MaxTargets)
            errors["targets"] = $"The mix must have between 1 and {MaxTargets} targets, got {targets.Count}.";
        for (var i = 0; i < Math.Min(targets.Count, MaxTargets); i++)
        {
            var (url, weight) = (targets[i].Url ?? "", targets[i].Weight);
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || url.Length > 2048)
                errors[$"targets[{i}].url"] = $"Target {i + 1} must be an absolute http(s) URL of at most 2048 characters, got '{Shorten(url)}'.";
            else if (!origins.Contains(uri.GetLeftPart(UriPartial.Authority)))
                errors[$"targets[{i}].url"] = $"Target {i + 1} must stay on {string.Join(" or ", origins)} (where the demo traffic goes), got '{Shorten(url)}'.";
            if (weight is < 0 or > MaxWeight)
                errors[$"targets[{i}].weight"] = $"The weight of target {i + 1} must be between 0 and {MaxWeight}, got {weight}.";
        }
        if (!errors.ContainsKey("targets") && targets.All(t => t.Weight <= 0))
            errors["targets"] = "At least one target needs a weight above 0 (set the rate to 0 to pause the traffic).";
        return errors;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
