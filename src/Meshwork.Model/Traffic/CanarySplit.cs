namespace Meshwork.Model.Traffic;

/// <summary>
/// The percentages of one weighted split as the canary sliders show and change them: whole percent,
/// always summing to 100. Moving one backend takes from (or gives to) the others that are not locked,
/// in proportion to what they carry now, as a mixing desk's linked faders do; locked backends never move.
/// </summary>
public static class CanarySplit
{
    public const int Total = 100;

    /// <summary>
    /// Gateway API weights are relative (1:3 is 25%:75%): the nearest whole percentages summing to 100
    /// (largest remainder, ties to the earlier backend). All-zero weights, which route nothing, stay all zero.
    /// </summary>
    public static int[] ToPercentages(IReadOnlyList<int> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Any(w => w < 0)) throw new ArgumentOutOfRangeException(nameof(weights), "Weights are never negative.");
        long sum = weights.Sum(w => (long)w);
        if (sum == 0) return new int[weights.Count];
        return Apportion(Total, weights.Select(w => (double)w).ToArray());
    }

    /// <summary>
    /// Sets backend <paramref name="index"/> to <paramref name="requested"/> percent, clamped to what the
    /// locked backends leave (and to 0..100), and shares the rest among the other unlocked backends in
    /// proportion to their current share (equally when they all carry 0). With no other unlocked backend
    /// the moved one cannot change. The result sums to 100 whenever <paramref name="current"/> does.
    /// </summary>
    public static int[] Move(IReadOnlyList<int> current, IReadOnlyList<bool> locked, int index, int requested)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(locked);
        if (locked.Count != current.Count) throw new ArgumentException("One lock per backend.", nameof(locked));
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, current.Count);
        if (current.Sum() != Total || current.Any(p => p < 0))
            throw new ArgumentException($"The split must be whole percentages summing to {Total}.", nameof(current));

        var others = Enumerable.Range(0, current.Count).Where(i => i != index && !locked[i]).ToList();
        var result = current.ToArray();
        if (others.Count == 0) return result;

        var lockedShare = Enumerable.Range(0, current.Count).Where(i => i != index && locked[i]).Sum(i => current[i]);
        var value = Math.Clamp(requested, 0, Total - lockedShare);
        result[index] = value;
        var rest = Total - lockedShare - value;
        var basis = others.Select(i => (double)current[i]).ToArray();
        if (basis.All(b => b == 0)) Array.Fill(basis, 1);
        var shares = Apportion(rest, basis);
        for (var k = 0; k < others.Count; k++) result[others[k]] = shares[k];
        return result;
    }

    /// <summary>Everything to backend <paramref name="stable"/>: the instant rollback.</summary>
    public static int[] AllTo(int count, int stable)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stable);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stable, count);
        var result = new int[count];
        result[stable] = Total;
        return result;
    }

    /// <summary>Whole numbers proportional to <paramref name="basis"/> that add up to <paramref name="total"/> (largest remainder method).</summary>
    private static int[] Apportion(int total, double[] basis)
    {
        var sum = basis.Sum();
        var exact = basis.Select(b => b * total / sum).ToArray();
        var result = exact.Select(e => (int)Math.Floor(e)).ToArray();
        var left = total - result.Sum();
        foreach (var i in Enumerable.Range(0, basis.Length).OrderByDescending(i => exact[i] - result[i]).ThenBy(i => i).Take(left))
            result[i]++;
        return result;
    }
}
