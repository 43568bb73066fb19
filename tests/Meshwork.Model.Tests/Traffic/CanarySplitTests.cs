using CsCheck;
using Meshwork.Model.Traffic;

namespace Meshwork.Model.Tests.Traffic;

/// <summary>The canary sliders' arithmetic: any sequence of moves keeps whole percentages summing to 100.</summary>
public class CanarySplitTests
{
    /// <summary>A split of 2..5 backends summing to 100, a lock per backend, and a sequence of (backend, requested value) moves.</summary>
    private static readonly Gen<(int[] Start, bool[] Locked, (int Index, int Value)[] Moves)> Scenarios =
        from count in Gen.Int[2, 5]
        from raw in Gen.Int[0, 1000].Array[count]
        from locked in Gen.Bool.Array[count]
        from moves in Gen.Select(Gen.Int[0, count - 1], Gen.Int[-20, 130]).Array[1, 40]
        let start = raw.All(r => r == 0) ? CanarySplit.AllTo(count, 0) : CanarySplit.ToPercentages(raw)
        select (start, locked, moves);

    [Fact]
    public void Move_AnySequence_SumStays100_LockedNeverMove_MovedTakesTheClampedValue() =>
        Scenarios.Sample(scenario =>
        {
            var split = scenario.Start;
            foreach (var (index, value) in scenario.Moves)
            {
                var before = split;
                split = CanarySplit.Move(before, scenario.Locked, index, value);
                Assert.Equal(100, split.Sum());
                Assert.All(split, p => Assert.InRange(p, 0, 100));
                for (var i = 0; i < split.Length; i++)
                {
                    if (i != index && scenario.Locked[i]) Assert.Equal(before[i], split[i]);
                }
                var othersUnlocked = Enumerable.Range(0, split.Length).Any(i => i != index && !scenario.Locked[i]);
                var room = 100 - Enumerable.Range(0, split.Length).Where(i => i != index && scenario.Locked[i]).Sum(i => before[i]);
                Assert.Equal(othersUnlocked ? Math.Clamp(value, 0, room) : before[index], split[index]);
            }
        }, iter: 2000);

    [Fact]
    public void Move_TakesFromTheOthersInProportion()
    {
        // 20 points come from v1 (60) and v2 (30) 2:1; the locked v3 keeps its 10.
        Assert.Equal([40, 20, 10, 30], CanarySplit.Move([60, 30, 10, 0], [false, false, true, false], 3, 30));
        // Others all at 0 share what is given back equally.
        Assert.Equal([50, 25, 25], CanarySplit.Move([100, 0, 0], [false, false, false], 0, 50));
    }

    [Fact]
    public void Move_OnlyLockedOthers_CannotChangeTheSplit() =>
        Assert.Equal([90, 10], CanarySplit.Move([90, 10], [false, true], 0, 50));

    [Theory]
    [InlineData(new[] { 1, 3 }, new[] { 25, 75 })]
    [InlineData(new[] { 1, 1, 1 }, new[] { 34, 33, 33 })]
    [InlineData(new[] { 90, 10 }, new[] { 90, 10 })]
    [InlineData(new[] { 0, 0 }, new[] { 0, 0 })]
    [InlineData(new[] { 2, 0 }, new[] { 100, 0 })]
    public void ToPercentages_RelativeWeights_AreWholePercentagesSumming100(int[] weights, int[] expected) =>
        Assert.Equal(expected, CanarySplit.ToPercentages(weights));

    [Fact]
    public void Move_SplitNotSumming100_IsRefused() =>
        Assert.Throws<ArgumentException>(() => CanarySplit.Move([50, 40], [false, false], 0, 10));
}
