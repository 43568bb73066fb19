namespace Meshwork.DemoApps.Traffic;

/// <summary>
/// Smooth weighted round robin (nginx's): each pick adds every weight to its target's credit and takes
/// the target with the most, which then pays the total. Over any run of total-weight picks each target
/// gets exactly its weight, interleaved rather than in blocks, so a mix shows in the traffic at once
/// and exactly (tests assert counts, not probabilities). Not thread-safe: the send loop owns it.
/// </summary>
public sealed class WeightedRotation(IReadOnlyList<TrafficTarget> targets)
{
    private readonly long[] credit = new long[targets.Count];
    private readonly long total = targets.Sum(t => (long)t.Weight);

    public TrafficTarget Next()
    {
        var best = -1;
        for (var i = 0; i < targets.Count; i++)
        {
            credit[i] += targets[i].Weight;
            if (targets[i].Weight > 0 && (best < 0 || credit[i] > credit[best]))
                best = i;
        }
        credit[best] -= total;
        return targets[best];
    }
}
