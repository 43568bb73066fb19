namespace Meshwork.DemoApps.Traffic;

/// <summary>One target of the traffic mix: a URL and its share (weight among the targets' weights; 0 = none).</summary>
public sealed record TrafficTarget(Uri Url, int Weight);

/// <summary>What the generator sends: requests per second (0 = paused) spread over the targets by weight.</summary>
public sealed record TrafficPlan(double Rps, IReadOnlyList<TrafficTarget> Targets)
{
    public const double MaxRps = 1000;

    /// <summary>A change of rate and/or mix, as PUT /traffic takes it; what is left out stays as it was.</summary>
    public sealed record Change(double? Rps, IReadOnlyList<TargetChange>? Targets);

    public sealed record TargetChange(string? Url, int? Weight);

    /// <summary>The plan with <paramref name="change"/> applied, or every problem with it by field (and no plan).</summary>
    public (TrafficPlan? Plan, Dictionary<string, string[]> Errors) With(Change change)
    {
        var errors = new Dictionary<string, string[]>();
        if (change.Rps is { } rps && (double.IsNaN(rps) || rps < 0 || rps > MaxRps))
            errors["rps"] = [$"must be between 0 (paused) and {MaxRps} requests per second, got {rps}"];
        var targets = Targets;
        if (change.Targets is { } changed)
        {
            var made = new List<TrafficTarget>();
            for (var i = 0; i < changed.Count; i++)
            {
                var (url, weight) = (changed[i].Url, changed[i].Weight ?? 1);
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    errors[$"targets[{i}].url"] = [$"must be an absolute http(s) URL, got '{url}'"];
                else if (weight < 0)
                    errors[$"targets[{i}].weight"] = [$"must be 0 or more, got {weight}"];
                else
                    made.Add(new TrafficTarget(uri, weight));
            }
            if (changed.Count == 0)
                errors["targets"] = ["must list at least one target"];
            else if (errors.Count == 0 && made.All(t => t.Weight == 0))
                errors["targets"] = ["at least one target needs a weight above 0"];
            targets = made;
        }
        return errors.Count > 0 ? (null, errors) : (new TrafficPlan(change.Rps ?? Rps, targets), errors);
    }

    /// <summary>Targets from the command line: a URL given twice has twice the weight.</summary>
    public static IReadOnlyList<TrafficTarget> FromUrls(IEnumerable<Uri> urls) =>
        urls.GroupBy(u => u).Select(g => new TrafficTarget(g.Key, g.Count())).ToList();
}
