using Meshwork.Model.Validation;

namespace Meshwork.Model.Tests.Validation;

public class RegexSafetyTests
{
    [Theory]
    [InlineData("^/api(/[a-z0-9]+)*$")]
    [InlineData("^/reviews/[0-9]+$")]
    [InlineData("(ab)+")]
    [InlineData("(a+)?")]
    [InlineData("(a+){1}")]
    [InlineData("(?:/[^/]+)+/?")]
    [InlineData("(?<id>[0-9]+)-(?<name>\\w+)")]
    [InlineData("[(a+)+]")]
    [InlineData("\\(a+\\)+")]
    [InlineData("(?i)gold|silver")]
    [InlineData(".*\\.json$")]
    [InlineData("(x|y)+z")]
    public void Accepts_LinearPattern(string pattern) => Assert.Null(RegexSafety.Check(pattern));

    [Theory]
    [InlineData("(a+)+", 0)]
    [InlineData("^(\\d+\\.?)*$", 1)]
    [InlineData("x(.*)*", 1)]
    [InlineData("((a*)b?)+", 0)]
    [InlineData("(a*a*){2,}", 0)]
    [InlineData("(?:\\w+\\s?)+$", 0)]
    [InlineData("(?=a)((a|b)+)*", 5)]
    public void FindNestedQuantifier_ExponentialShape_ReturnsGroupStart(string pattern, int at) =>
        Assert.Equal(at, RegexSafety.FindNestedQuantifier(pattern));

    [Theory]
    [InlineData("(a|aa)+$")]
    [InlineData("^(a|a?)+$")]
    [InlineData("(a|aa)+")]
    public void Rejects_OverlappingAlternativesFoundByTheProbe(string pattern)
    {
        Assert.Null(RegexSafety.FindNestedQuantifier(pattern));
        Assert.Equal("the regular expression takes too long to match a short input (catastrophic backtracking); simplify it", RegexSafety.Check(pattern));
    }

    [Fact]
    public void Rejects_EmptyPattern() =>
        Assert.Equal("an empty regular expression matches everything; use a pathPrefix '/' match or leave the condition out", RegexSafety.Check(""));

    [Fact]
    public void Rejects_VeryLongPattern() =>
        Assert.Equal("the regular expression is longer than 1024 characters", RegexSafety.Check(new string('a', 1025)));

    [Theory]
    [InlineData("(")]
    [InlineData("[a-")]
    [InlineData("a{2,1}")]
    [InlineData("*a")]
    public void Rejects_InvalidSyntax(string pattern) =>
        Assert.StartsWith("not a valid regular expression: ", RegexSafety.Check(pattern));
}
