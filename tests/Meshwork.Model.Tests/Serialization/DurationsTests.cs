using Meshwork.Model.Serialization;

namespace Meshwork.Model.Tests.Serialization;

public class DurationsTests
{
    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("250ms", 250)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("0", 0)]
    public void TryParse_GoStyle_ReturnsMilliseconds(string text, double expectedMs)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(expectedMs, value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("ten seconds")]
    [InlineData("5d")]
    [InlineData("-1s")]
    public void TryParse_NotADuration_ReturnsFalse(string text) => Assert.False(Durations.TryParse(text, out _));

    [Theory]
    [InlineData(90_000, "1m30s")]
    [InlineData(250, "250ms")]
    [InlineData(0, "0s")]
    public void Format_ReturnsShortestForm(double ms, string expected) =>
        Assert.Equal(expected, Durations.Format(TimeSpan.FromMilliseconds(ms)));
}
